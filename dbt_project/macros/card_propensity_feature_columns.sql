{#-
    The feature columns of card propensity, as of a spine's as_of_date: one list for the
    marts that hold them (card_propensity_features, the reference date; card_propensity_snapshots,
    every snapshot), selected from int_feature_spines_enriched.
-#}
{% macro card_propensity_feature_columns() -%}
    -- owner
    owner_client_key,
    owner_gender,
    owner_age as owner_age_at_reference,
    owner_age_band,

    -- district
    district_id,
    district_unemployment_rate,
    district_avg_salary,
    district_urban_ratio,

    -- account
    statement_frequency,
    account_age_days,
    n_dispositions,
    has_card,

    -- transaction history before the reference date
    history_months,
    n_transactions,
    cast(mean_monthly_inflow as double) as mean_monthly_inflow,
    cast(std_monthly_inflow as double) as std_monthly_inflow,
    cast(mean_monthly_outflow as double) as mean_monthly_outflow,
    cast(inflow_last_3m as double) as inflow_last_3m,
    cast(mean_balance as double) as mean_balance,
    cast(std_balance as double) as std_balance,
    cast(min_balance as double) as min_balance,
    cast(last_balance as double) as last_balance,
    n_negative_balance,
    n_penalty_interest,
    days_since_last_transaction,

    -- digital engagement before the reference date
    logins_last_90d,
    logins_prev_90d,
    digital_events_last_180d,
    password_resets_last_180d,
    days_since_last_login
{%- endmacro %}
