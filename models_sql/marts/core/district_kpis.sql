with

districts as (

    select * from {{ ref('dim_districts') }}

),

accounts as (

    select * from {{ ref('dim_accounts') }}

),

clients as (

    select * from {{ ref('dim_clients') }}

),

loans as (

    {{ clean_rows('int_loans_validated') }}

),

account_months as (

    select * from {{ ref('account_monthly') }}

),

accounts_summarised as (

    select
        district_id,
        count(*) as n_accounts,
        count(*) filter (where n_cards > 0) as n_accounts_with_card,
        count(*) filter (where n_loans > 0) as n_accounts_with_loan
    from accounts
    group by district_id

),

clients_summarised as (

    select
        district_id,
        count(*) as n_clients,
        count(*) filter (where gender = 'F') as n_female_clients,
        avg(age_at_data_end) as mean_client_age
    from clients
    group by district_id

),

loans_summarised as (

    select
        accounts.district_id,
        count(*) as n_loans,
        count(*) filter (where loans.is_default) as n_defaulted_loans,
        avg(cast(loans.loan_amount as double)) as mean_loan_amount
    from loans
    inner join accounts
        on loans.account_id = accounts.account_id
    group by accounts.district_id

),

flows_summarised as (

    select
        accounts.district_id,
        avg(account_months.inflow_total) as mean_monthly_inflow_per_account,
        avg(account_months.outflow_total) as mean_monthly_outflow_per_account,
        avg(account_months.closing_balance) as mean_closing_balance
    from account_months
    inner join accounts
        on account_months.account_id = accounts.account_id
    group by accounts.district_id

),

final as (

    select
        -- district
        districts.district_id,
        districts.district_name,
        districts.region,
        districts.inhabitants,
        districts.avg_salary,
        districts.unemployment_rate_1996,
        districts.urban_ratio_pct,

        -- customers
        coalesce(accounts_summarised.n_accounts, 0) as n_accounts,
        coalesce(clients_summarised.n_clients, 0) as n_clients,
        1000.0 * coalesce(clients_summarised.n_clients, 0) / nullif(districts.inhabitants, 0)
            as clients_per_1000_inhabitants,
        clients_summarised.n_female_clients * 1.0 / nullif(clients_summarised.n_clients, 0) as female_share,
        clients_summarised.mean_client_age,

        -- products
        accounts_summarised.n_accounts_with_card * 1.0 / nullif(accounts_summarised.n_accounts, 0)
            as card_penetration,
        coalesce(loans_summarised.n_loans, 0) as n_loans,
        coalesce(loans_summarised.n_defaulted_loans, 0) as n_defaulted_loans,
        loans_summarised.n_defaulted_loans * 1.0 / nullif(loans_summarised.n_loans, 0) as loan_default_rate,
        loans_summarised.mean_loan_amount,

        -- flows
        flows_summarised.mean_monthly_inflow_per_account,
        flows_summarised.mean_monthly_outflow_per_account,
        flows_summarised.mean_closing_balance
    from districts
    left join accounts_summarised
        on districts.district_id = accounts_summarised.district_id
    left join clients_summarised
        on districts.district_id = clients_summarised.district_id
    left join loans_summarised
        on districts.district_id = loans_summarised.district_id
    left join flows_summarised
        on districts.district_id = flows_summarised.district_id

)

select * from final
