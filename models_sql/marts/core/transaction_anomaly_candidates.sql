{#-
    Rule-based anomaly candidates, one row per flagged account-event:
    - amount_robust_z: a transaction whose amount is far from the account's
      usual amounts of the same kind (direction and operation or purpose);
    - monthly_inflow_robust_z / monthly_outflow_robust_z: a month whose
      total inflow / outflow is far from the account's usual month (salary
      stops show as a low inflow);
    - dormancy_then_activity: the first transaction after a gap of at least
      var('anomaly_dormancy_days') days (the account's opening excluded);
    - new_counterparty_burst: a payment to a counterparty never paid before,
      when at least var('anomaly_burst_min_new_counterparties') such first
      payments fall within var('anomaly_burst_window_days') days.
    robust z = 0.6745 (x - median) / scale, scale = the MAD floored at
    var('anomaly_mad_floor_share') x median (and 1 CZK): salaries and fees
    repeat exactly, so a bare MAD is often ~0 and every other amount would
    fire. Computed only with at least var('anomaly_min_history')
    transactions (or months) of that kind.
-#}
with

transactions as (

    select * from {{ ref('fct_transactions') }}

),

account_months as (

    select * from {{ ref('account_monthly') }}

),

-- amount rule
transactions_kinded as (

    select
        *,
        coalesce(operation, payment_purpose, 'other') as amount_kind
    from transactions

),

amount_baselines as (

    select
        account_id,
        direction,
        amount_kind,
        count(*) as n_transactions,
        median(amount) as median_amount,
        {{ robust_scale('amount') }} as amount_scale
    from transactions_kinded
    group by account_id, direction, amount_kind

),

amount_scored as (

    select
        transactions.account_id,
        transactions.trans_id,
        transactions.trans_date as event_date,
        'amount_robust_z' as rule,
        0.6745 * (transactions.amount - amount_baselines.median_amount) / amount_baselines.amount_scale as score,
        transactions.amount as observed_value,
        amount_baselines.median_amount as baseline_value
    from transactions_kinded as transactions
    inner join amount_baselines
        on
            transactions.account_id = amount_baselines.account_id
            and transactions.direction = amount_baselines.direction
            and transactions.amount_kind = amount_baselines.amount_kind
    where amount_baselines.n_transactions >= {{ var('anomaly_min_history') }}

),

-- monthly flow rules
{%- for flow in ['inflow', 'outflow'] %}
monthly_{{ flow }}_baselines as (

    select
        account_id,
        count(*) as n_months,
        median({{ flow }}_total) as median_flow,
        {{ robust_scale(flow ~ '_total') }} as flow_scale
    from account_months
    group by account_id

),

monthly_{{ flow }}_scored as (

    select
        account_months.account_id,
        cast(null as bigint) as trans_id,
        account_months.month_start as event_date,
        'monthly_{{ flow }}_robust_z' as rule,
        0.6745 * (account_months.{{ flow }}_total - baselines.median_flow) / baselines.flow_scale as score,
        account_months.{{ flow }}_total as observed_value,
        baselines.median_flow as baseline_value
    from account_months
    inner join monthly_{{ flow }}_baselines as baselines
        on account_months.account_id = baselines.account_id
    where baselines.n_months >= {{ var('anomaly_min_history') }}

),
{%- endfor %}

-- dormancy rule
gaps_measured as (

    select
        account_id,
        trans_id,
        trans_date,
        {{ days_between('lag(trans_date) over (partition by account_id order by trans_date, _source_line)',
            'trans_date') }} as days_since_previous
    from transactions

),

dormancy_flagged as (

    select
        account_id,
        trans_id,
        trans_date as event_date,
        'dormancy_then_activity' as rule,
        cast(days_since_previous as double) as score,
        cast(days_since_previous as double) as observed_value,
        cast({{ var('anomaly_dormancy_days') }} as double) as baseline_value
    from gaps_measured
    where days_since_previous >= {{ var('anomaly_dormancy_days') }}
    -- only the first transaction after the gap (same-day ones have a gap of 0)

),

-- new-counterparty burst rule
payments_to_counterparty_ranked as (

    select
        account_id,
        trans_id,
        trans_date,
        _source_line,
        row_number() over (
            partition by account_id, counterparty_bank, counterparty_account
            order by trans_date, _source_line
        ) as payment_rank
    from transactions
    where direction = 'debit' and counterparty_account is not null

),

first_payments_to_counterparty as (

    -- a filter on the ranked rows, not QUALIFY: Spark SQL has no QUALIFY
    select
        account_id,
        trans_id,
        trans_date,
        _source_line
    from payments_to_counterparty_ranked
    where payment_rank = 1

),

bursts_counted as (

    select
        first_payments.account_id,
        first_payments.trans_id,
        first_payments.trans_date,
        count(*) over (
            partition by first_payments.account_id
            -- days since 1900 as an integer: a plain numeric range frame
            order by {{ days_between("date '1900-01-01'", 'first_payments.trans_date') }}
            range between {{ var('anomaly_burst_window_days') - 1 }} preceding and current row
        ) as new_counterparties_in_window
    from first_payments_to_counterparty as first_payments

),

bursts_flagged as (

    select
        account_id,
        trans_id,
        trans_date as event_date,
        'new_counterparty_burst' as rule,
        cast(new_counterparties_in_window as double) as score,
        cast(new_counterparties_in_window as double) as observed_value,
        cast({{ var('anomaly_burst_min_new_counterparties') }} as double) as baseline_value
    from bursts_counted
    where new_counterparties_in_window >= {{ var('anomaly_burst_min_new_counterparties') }}

),

candidates as (

    select * from amount_scored
    where abs(score) >= {{ var('anomaly_robust_z') }}
    union all
    select * from monthly_inflow_scored
    where abs(score) >= {{ var('anomaly_robust_z') }}
    union all
    select * from monthly_outflow_scored
    where abs(score) >= {{ var('anomaly_robust_z') }}
    union all
    select * from dormancy_flagged
    union all
    select * from bursts_flagged

),

final as (

    select
        -- ids
        md5(concat_ws('|', account_id, rule, event_date, coalesce(cast(trans_id as {{ type_text() }}), '')))
            as anomaly_candidate_id,
        account_id,
        trans_id,

        -- what fired
        rule,
        event_date,
        cast(score as double) as score,
        cast(observed_value as double) as observed_value,
        cast(baseline_value as double) as baseline_value
    from candidates

)

select * from final
