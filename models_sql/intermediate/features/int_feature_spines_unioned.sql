{#-
    The (key, account, client, as-of date) rows the feature marts describe:
    - `loan`: one per clean loan, as of its grant date, owner = the account's owner;
    - `card_propensity`: one per OWNER disposition of an account opened
      before var('card_reference_date') with no card issued before it, as of
      that date. `took_card` = a card issued in the 12 months from the date.
-#}
with

loans as (

    {{ clean_rows('int_loans_validated') }}

),

accounts as (

    select * from {{ ref('int_accounts_joined_to_owners') }}

),

dispositions as (

    {{ clean_rows('int_dispositions_validated') }}

),

cards as (

    {{ clean_rows('int_cards_validated') }}

),

loan_spine as (

    select
        'loan' as spine_type,
        loans.loan_id as spine_key,
        loans.account_id,
        accounts.owner_client_key as client_key,
        loans.loan_date as as_of_date,
        cast(null as boolean) as took_card
    from loans
    left join accounts
        on loans.account_id = accounts.account_id

),

cards_per_disposition as (

    select
        disp_id,
        min(issued_date) as first_issued_date
    from cards
    group by disp_id

),

card_spine as (

    select
        'card_propensity' as spine_type,
        dispositions.disp_id as spine_key,
        dispositions.account_id,
        dispositions.client_key,
        date '{{ var("card_reference_date") }}' as as_of_date,
        coalesce(
            cards_per_disposition.first_issued_date < date '{{ var("card_reference_date") }}' + interval 12 month,
            false
        ) as took_card
    from dispositions
    inner join accounts
        on dispositions.account_id = accounts.account_id
    left join cards_per_disposition
        on dispositions.disp_id = cards_per_disposition.disp_id
    where
        dispositions.disposition_type = 'OWNER'
        and accounts.opened_date < date '{{ var("card_reference_date") }}'
        and (
            cards_per_disposition.first_issued_date is null
            or cards_per_disposition.first_issued_date >= date '{{ var("card_reference_date") }}'
        )

),

final as (

    select * from loan_spine
    union all
    select * from card_spine

)

select * from final
