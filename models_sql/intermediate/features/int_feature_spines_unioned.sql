{#-
    The (key, account, client, as-of date) rows the feature marts describe:
    - `loan`: one per clean loan, as of its grant date, owner = the account's owner;
    - `card_propensity`: one per OWNER disposition of an account opened
      before var('card_reference_date') (R) with no card issued before it, as of
      that date. `took_card` = a card issued in the 12 months from the date.
    - `card_propensity_prior`: the same at R - 12 months (the out-of-time
      model is fitted there and evaluated at R).
    - `card_propensity_current`: the same at R + 12 months, the data's end
      (R is the last date with a full 12-month outcome window): who to offer a
      card next; `took_card` is NULL because the outcome is not known yet.
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

card_snapshots as (

    select
        'card_propensity_prior' as spine_type,
        cast(date '{{ var("card_reference_date") }}' - interval 12 month as date) as as_of_date,
        true as outcome_known
    union all
    select
        'card_propensity' as spine_type,
        date '{{ var("card_reference_date") }}' as as_of_date,
        true as outcome_known
    union all
    select
        'card_propensity_current' as spine_type,
        cast(date '{{ var("card_reference_date") }}' + interval 12 month as date) as as_of_date,
        false as outcome_known

),

card_spine as (

    select
        card_snapshots.spine_type,
        dispositions.disp_id as spine_key,
        dispositions.account_id,
        dispositions.client_key,
        card_snapshots.as_of_date,
        -- NULL where the 12 months after the date lie beyond the data
        case
            when card_snapshots.outcome_known
                then coalesce(
                        cards_per_disposition.first_issued_date < card_snapshots.as_of_date + interval 12 month,
                        false
                    )
        end as took_card
    from dispositions
    cross join card_snapshots
    inner join accounts
        on dispositions.account_id = accounts.account_id
    left join cards_per_disposition
        on dispositions.disp_id = cards_per_disposition.disp_id
    where
        dispositions.disposition_type = 'OWNER'
        and accounts.opened_date < card_snapshots.as_of_date
        and (
            cards_per_disposition.first_issued_date is null
            or cards_per_disposition.first_issued_date >= card_snapshots.as_of_date
        )

),

final as (

    select * from loan_spine
    union all
    select * from card_spine

)

select * from final
