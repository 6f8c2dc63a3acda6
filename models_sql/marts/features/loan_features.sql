with

loans as (

    {{ clean_rows('int_loans_validated') }}

),

features as (

    select * from {{ ref('int_feature_spines_enriched') }}
    where spine_type = 'loan'

),

final as (

    select
        -- loan
        loans.loan_id,
        loans.account_id,
        loans.loan_date,
        cast(loans.loan_amount as double) as loan_amount,
        loans.loan_duration_months,
        cast(loans.monthly_payment as double) as monthly_payment,
        loans.loan_status,
        loans.is_default,

        -- owner
        features.owner_client_key,
        features.owner_gender,
        features.owner_age as owner_age_at_loan,
        features.owner_age_band,

        -- district
        features.district_id,
        features.district_unemployment_rate,
        features.district_avg_salary,
        features.district_urban_ratio,

        -- account
        features.statement_frequency,
        features.account_age_days,
        features.n_dispositions,
        features.has_card,

        -- transaction history before the loan
        features.history_months,
        features.n_transactions,
        cast(features.mean_monthly_inflow as double) as mean_monthly_inflow,
        cast(features.std_monthly_inflow as double) as std_monthly_inflow,
        cast(features.mean_monthly_outflow as double) as mean_monthly_outflow,
        cast(features.inflow_last_3m as double) as inflow_last_3m,
        cast(features.mean_balance as double) as mean_balance,
        cast(features.std_balance as double) as std_balance,
        cast(features.min_balance as double) as min_balance,
        cast(features.last_balance as double) as last_balance,
        features.n_negative_balance,
        features.n_penalty_interest,
        features.days_since_last_transaction,

        -- digital engagement before the loan
        features.logins_last_90d,
        features.logins_prev_90d,
        features.digital_events_last_180d,
        features.password_resets_last_180d,
        features.days_since_last_login
    from loans
    left join features
        on loans.loan_id = features.spine_key

)

select * from final
