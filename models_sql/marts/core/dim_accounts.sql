with

accounts as (

    select * from {{ ref('int_accounts_joined_to_owners') }}

),

dispositions as (

    {{ clean_rows('int_dispositions_validated') }}

),

cards as (

    {{ clean_rows('int_cards_validated') }}

),

loans as (

    {{ clean_rows('int_loans_validated') }}

),

orders as (

    {{ clean_rows('int_orders_validated') }}

),

cards_per_account as (

    select
        dispositions.account_id,
        count(*) as n_cards,
        min(cards.issued_date) as first_card_issued_date
    from cards
    inner join dispositions
        on cards.disp_id = dispositions.disp_id
    group by dispositions.account_id

),

loans_per_account as (

    select
        account_id,
        count(*) as n_loans,
        min(loan_date) as first_loan_date
    from loans
    group by account_id

),

orders_per_account as (

    select
        account_id,
        count(*) as n_payment_orders,
        sum(amount) as payment_orders_amount
    from orders
    group by account_id

),

final as (

    select
        -- ids
        accounts.account_id,
        accounts.district_id,
        accounts.owner_client_key,

        -- account
        accounts.statement_frequency,
        accounts.opened_date,
        accounts.n_dispositions,
        accounts.n_disponents,

        -- owner
        accounts.owner_gender,
        {{ age_in_years('accounts.owner_birth_date', 'accounts.opened_date') }} as owner_age_at_opening,

        -- products
        coalesce(cards_per_account.n_cards, 0) as n_cards,
        cards_per_account.first_card_issued_date,
        coalesce(loans_per_account.n_loans, 0) as n_loans,
        loans_per_account.first_loan_date,
        coalesce(orders_per_account.n_payment_orders, 0) as n_payment_orders,
        coalesce(orders_per_account.payment_orders_amount, 0) as payment_orders_amount
    from accounts
    left join cards_per_account
        on accounts.account_id = cards_per_account.account_id
    left join loans_per_account
        on accounts.account_id = loans_per_account.account_id
    left join orders_per_account
        on accounts.account_id = orders_per_account.account_id

)

select * from final
