{#-
    Point in time: every feature of a spine row uses only data dated strictly
    before its as_of_date (transactions, cards, digital events). Static
    attributes (gender, district demographics, number of dispositions) are
    undated in the source and used as they are.

    A view, not ephemeral: its windows are unit-tested (dbt cannot unit-test
    an ephemeral model), and both feature marts read it. A table on Spark: a
    Hive metastore keeps a view's SQL in a 32,700-character column (see
    staging in dbt_project.yml), and both marts then read it computed once.
-#}
{{ config(materialized='table' if target.type == 'spark' else 'view', schema='intermediate') }}

with

spines as (

    select * from {{ ref('int_feature_spines_unioned') }}

),

accounts as (

    select * from {{ ref('int_accounts_joined_to_owners') }}

),

districts as (

    {{ clean_rows('int_districts_validated') }}

),

dispositions as (

    {{ clean_rows('int_dispositions_validated') }}

),

cards as (

    {{ clean_rows('int_cards_validated') }}

),

transactions as (

    {{ clean_rows('int_transactions_validated') }}

),

events as (

    {{ clean_rows('int_events_validated') }}

),

transactions_before as (

    select
        spines.spine_type,
        spines.spine_key,
        spines.as_of_date,
        transactions.*
    from spines
    inner join transactions
        on
            spines.account_id = transactions.account_id
            and spines.as_of_date > transactions.trans_date

),

history_summarised as (

    select
        spine_type,
        spine_key,
        count(*) as n_transactions,
        avg(balance_after) as mean_balance,
        stddev_samp(balance_after) as std_balance,
        min(balance_after) as min_balance,
        -- the balance after the last transaction (file order breaks same-day ties)
        max_by(balance_after, {{ epoch_seconds('trans_date') }} * 1000000 + _source_line) as last_balance,
        count(*) filter (where balance_after < 0) as n_negative_balance,
        count(*) filter (where payment_purpose = 'penalty_interest') as n_penalty_interest,
        coalesce(sum(amount) filter (
            where direction = 'credit' and trans_date >= as_of_date - interval 3 month
        ), 0) as inflow_last_3m,
        {{ days_between('max(trans_date)', 'max(as_of_date)') }} as days_since_last_transaction
    from transactions_before
    group by spine_type, spine_key

),

history_by_month as (

    select
        spine_type,
        spine_key,
        trans_month,
        coalesce(sum(amount) filter (where direction = 'credit'), 0) as inflow,
        coalesce(sum(amount) filter (where direction = 'debit'), 0) as outflow
    from transactions_before
    group by spine_type, spine_key, trans_month

),

months_summarised as (

    select
        spine_type,
        spine_key,
        count(*) as history_months,
        avg(inflow) as mean_monthly_inflow,
        stddev_samp(inflow) as std_monthly_inflow,
        avg(outflow) as mean_monthly_outflow
    from history_by_month
    group by spine_type, spine_key

),

events_summarised as (

    select
        spines.spine_type,
        spines.spine_key,
        count(*) filter (
            where events.event_type = 'login' and events.event_date >= spines.as_of_date - 90
        ) as logins_last_90d,
        count(*) filter (
            where events.event_type = 'login' and events.event_date >= spines.as_of_date - 180
            and events.event_date < spines.as_of_date - 90
        ) as logins_prev_90d,
        count(*) filter (where events.event_date >= spines.as_of_date - 180) as digital_events_last_180d,
        count(*) filter (
            where events.event_type = 'password_reset' and events.event_date >= spines.as_of_date - 180
        ) as password_resets_last_180d,
        {{ days_between("max(events.event_date) filter (where events.event_type = 'login')",
            'max(spines.as_of_date)') }} as days_since_last_login
    from spines
    inner join events
        on
            spines.client_key = events.client_key
            and spines.as_of_date > events.event_date
    group by spines.spine_type, spines.spine_key

),

cards_before as (

    select
        spines.spine_type,
        spines.spine_key,
        count(*) > 0 as has_card
    from spines
    inner join dispositions
        on spines.account_id = dispositions.account_id
    inner join cards
        on
            dispositions.disp_id = cards.disp_id
            and spines.as_of_date > cards.issued_date
    group by spines.spine_type, spines.spine_key

),

final as (

    select
        -- spine
        spines.spine_type,
        spines.spine_key,
        spines.account_id,
        spines.as_of_date,
        spines.took_card,

        -- owner
        spines.client_key as owner_client_key,
        accounts.owner_gender,
        {{ age_in_years('accounts.owner_birth_date', 'spines.as_of_date') }} as owner_age,
        {{ age_band(age_in_years('accounts.owner_birth_date', 'spines.as_of_date')) }} as owner_age_band,

        -- district of the account's branch
        accounts.district_id,
        -- the latest published year before the as-of date, else the other year
        case
            when extract(year from spines.as_of_date) >= 1997
                then coalesce(districts.unemployment_rate_1996, districts.unemployment_rate_1995)
            else coalesce(districts.unemployment_rate_1995, districts.unemployment_rate_1996)
        end as district_unemployment_rate,
        districts.avg_salary as district_avg_salary,
        districts.urban_ratio_pct / 100.0 as district_urban_ratio,

        -- account
        accounts.statement_frequency,
        {{ days_between('accounts.opened_date', 'spines.as_of_date') }} as account_age_days,
        accounts.n_dispositions,
        coalesce(cards_before.has_card, false) as has_card,

        -- transaction history before the as-of date
        coalesce(months_summarised.history_months, 0) as history_months,
        coalesce(history_summarised.n_transactions, 0) as n_transactions,
        months_summarised.mean_monthly_inflow,
        months_summarised.std_monthly_inflow,
        months_summarised.mean_monthly_outflow,
        coalesce(history_summarised.inflow_last_3m, 0) as inflow_last_3m,
        history_summarised.mean_balance,
        history_summarised.std_balance,
        history_summarised.min_balance,
        history_summarised.last_balance,
        coalesce(history_summarised.n_negative_balance, 0) as n_negative_balance,
        coalesce(history_summarised.n_penalty_interest, 0) as n_penalty_interest,
        history_summarised.days_since_last_transaction,

        -- digital engagement before the as-of date
        coalesce(events_summarised.logins_last_90d, 0) as logins_last_90d,
        coalesce(events_summarised.logins_prev_90d, 0) as logins_prev_90d,
        coalesce(events_summarised.digital_events_last_180d, 0) as digital_events_last_180d,
        coalesce(events_summarised.password_resets_last_180d, 0) as password_resets_last_180d,
        events_summarised.days_since_last_login
    from spines
    left join accounts
        on spines.account_id = accounts.account_id
    left join districts
        on accounts.district_id = districts.district_id
    left join history_summarised
        on spines.spine_type = history_summarised.spine_type and spines.spine_key = history_summarised.spine_key
    left join months_summarised
        on spines.spine_type = months_summarised.spine_type and spines.spine_key = months_summarised.spine_key
    left join events_summarised
        on spines.spine_type = events_summarised.spine_type and spines.spine_key = events_summarised.spine_key
    left join cards_before
        on spines.spine_type = cards_before.spine_type and spines.spine_key = cards_before.spine_key

)

select * from final
