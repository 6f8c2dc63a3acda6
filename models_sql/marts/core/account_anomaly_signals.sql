{#-
    Per-account time-series baselines, one row per account and signal (the
    account's strongest event on that signal). Each signal compares the
    account with its OWN history and states the surprise as evidence =
    -log10 of the probability of what was seen under the account's baseline:

    - cash_withdrawal_size: a cash withdrawal (not a fee or bill) against the
      account's own withdrawals, robust z of the log amount (median / MAD,
      the MAD shrunk toward the bank's typical spread with
      var('anomaly_cash_shrinkage_n') pseudo-withdrawals, so three
      withdrawals do not make a tiny spread); evidence = z^2 / (2 ln 10)
      for z > 0 plus -log10 of the share of the bank's cash withdrawals at
      least as large (large for the account AND for the bank);
    - income_stop: change point of the monthly income (salary or pension
      transfers). With n income months over a span of s months and no income
      in the L months from the last one to the data's end, the likelihood
      ratio of "rate n/s, then zero" against "one rate n/(s+L) throughout";
      needs var('anomaly_income_min_months') income months;
    - new_counterparty_burst: first-seen counterparties of payments within
      var('anomaly_new_counterparty_window_days') days (after the account's
      first var('anomaly_new_counterparty_settling_days') days, when orders are
      set up), against the account's own rate of new counterparties outside
      that window: a Poisson tail, evidence = -log10 P(N = x) + log10(1 -
      lambda / (x + 1)), a lower bound of -log10 P(N >= x); windows with fewer
      than var('anomaly_burst_min_new_counterparties') (the rule's burst) score 0;
    - dormancy: days without any transaction between two active days, against
      the account's rate of active days outside the gap: evidence =
      rate x (gap - 1) / ln 10 = -log10 P(no active day in the silent days).
-#}
{%- set data_end = "cast('" ~ var('data_end_date') ~ "' as date)" %}
with

transactions as (

    select * from {{ ref('fct_transactions') }}

),

account_spans as (

    select
        account_id,
        min(trans_date) as first_date,
        count(distinct trans_date) as n_active_days
    from transactions
    group by account_id

),

-- cash_withdrawal_size
cash_withdrawals as (

    select
        account_id,
        trans_id,
        trans_date,
        cast(amount as double) as amount,
        ln(cast(amount as double)) as log_amount
    from transactions
    where operation = 'cash_withdrawal' and payment_purpose is null and amount > 0

),

cash_baselines as (

    select
        account_id,
        count(*) as n_withdrawals,
        median(log_amount) as median_log_amount,
        1.4826 * {{ median_absolute_deviation('log_amount') }} as own_log_spread
    from cash_withdrawals
    group by account_id

),

bank_cash_spread as (

    select coalesce(median(own_log_spread), 1.0) as typical_log_spread
    from cash_baselines
    where n_withdrawals >= {{ var('anomaly_min_history') }}

),

cash_baselines_shrunk as (

    select
        cash_baselines.account_id,
        cash_baselines.n_withdrawals,
        cash_baselines.median_log_amount,
        greatest(
            sqrt(
                (
                    cash_baselines.n_withdrawals * power(cash_baselines.own_log_spread, 2)
                    + {{ var('anomaly_cash_shrinkage_n') }} * power(bank_cash_spread.typical_log_spread, 2)
                ) / (cash_baselines.n_withdrawals + {{ var('anomaly_cash_shrinkage_n') }})
            ),
            0.01
        ) as log_spread
    from cash_baselines
    cross join bank_cash_spread

),

cash_ranked_in_bank as (

    select
        *,
        -- share of the bank's cash withdrawals at least this large
        count(*) over (order by amount desc range between unbounded preceding and current row)
        / count(*) over () as bank_share
    from cash_withdrawals

),

cash_scored as (

    select
        withdrawals.account_id,
        withdrawals.trans_date as event_date,
        'cash_withdrawal_size' as signal,
        withdrawals.amount as observed_value,
        exp(baselines.median_log_amount) as baseline_value,
        baselines.n_withdrawals as n_history,
        power(greatest((withdrawals.log_amount - baselines.median_log_amount) / baselines.log_spread, 0), 2)
        / (2 * ln(10))
        - log10(withdrawals.bank_share) as evidence
    from cash_ranked_in_bank as withdrawals
    inner join cash_baselines_shrunk as baselines
        on withdrawals.account_id = baselines.account_id

),

-- income_stop
income_months as (

    select distinct
        account_id,
        trans_month
    from transactions
    where direction = 'credit' and operation = 'collection_from_other_bank'

),

income_spans as (

    select
        account_id,
        count(*) as n_income_months,
        min(trans_month) as first_income_month,
        max(trans_month) as last_income_month
    from income_months
    group by account_id
    having count(*) >= {{ var('anomaly_income_min_months') }}

),

income_rates as (

    select
        account_id,
        last_income_month,
        n_income_months,
        {{ month_diff('first_income_month', 'last_income_month') }} + 1 as span_months,
        {{ month_diff('last_income_month', data_end) }} as months_without
    from income_spans

),

income_scored as (

    select
        account_id,
        cast(last_income_month + interval 1 month as date) as event_date,
        'income_stop' as signal,
        cast(months_without as double) as observed_value,
        n_income_months / span_months as baseline_value,
        n_income_months as n_history,
        case
            when months_without <= 0 then 0.0
            else greatest((
                    n_income_months * ln((span_months + months_without) / span_months)
                    + case
                        when span_months > n_income_months
                            then (span_months - n_income_months) * ln(1 - n_income_months / span_months)
                        else 0.0
                    end
                    - (span_months + months_without - n_income_months)
                    * ln(1 - n_income_months / (span_months + months_without))
                ) / ln(10), 0.0)
        end as evidence
    from income_rates

),

-- new_counterparty_burst
payments_ranked_per_counterparty as (

    select
        account_id,
        trans_id,
        trans_date,
        row_number() over (
            partition by account_id, counterparty_bank, counterparty_account
            order by trans_date, _source_line
        ) as payment_number
    from transactions
    where direction = 'debit' and counterparty_account is not null and counterparty_account != '0'

),

first_payments_to_counterparty as (

    -- a filter on the ranked rows, not QUALIFY: Spark SQL has no QUALIFY
    select
        account_id,
        trans_id,
        trans_date
    from payments_ranked_per_counterparty
    where payment_number = 1

),

first_payments_settled as (

    select
        first_payments.account_id,
        first_payments.trans_id,
        first_payments.trans_date,
        {{ days_between(
            '(spans.first_date + ' ~ var('anomaly_new_counterparty_settling_days') ~ ')',
            data_end,
        ) }} + 1 as days_observed
    from first_payments_to_counterparty as first_payments
    inner join account_spans as spans
        on first_payments.account_id = spans.account_id
    where first_payments.trans_date >= spans.first_date + {{ var('anomaly_new_counterparty_settling_days') }}

),

new_counterparty_windows as (

    select
        account_id,
        trans_date,
        days_observed,
        count(*) over (
            partition by account_id
            -- days since 1900 as an integer: a plain numeric range frame
            order by {{ days_between("date '1900-01-01'", 'trans_date') }}
            range between {{ var('anomaly_new_counterparty_window_days') - 1 }} preceding and current row
        ) as n_in_window,
        count(*) over (partition by account_id) as n_first_seen
    from first_payments_settled

),

new_counterparty_rates as (

    select
        account_id,
        trans_date,
        n_first_seen,
        n_in_window,
        -- expected first-seen counterparties per window outside this one (+0.5: never zero)
        (n_first_seen - n_in_window + 0.5) * {{ var('anomaly_new_counterparty_window_days') }}
        / greatest(days_observed, {{ var('anomaly_new_counterparty_window_days') }}) as expected_in_window
    from new_counterparty_windows

),

new_counterparty_scored as (

    select
        account_id,
        trans_date as event_date,
        'new_counterparty_burst' as signal,
        cast(n_in_window as double) as observed_value,
        expected_in_window as baseline_value,
        n_first_seen as n_history,
        case
            -- fewer than a burst (as the rule defines it) is not one, however rare for the account
            when n_in_window < {{ var('anomaly_burst_min_new_counterparties') }} then 0.0
            when expected_in_window >= n_in_window + 1 then 0.0
            else greatest(
                    -(n_in_window * ln(expected_in_window) - expected_in_window - {{ log_factorial('n_in_window') }})
                    / ln(10)
                    + log10(1 - expected_in_window / (n_in_window + 1)),
                    0.0
                )
        end as evidence
    from new_counterparty_rates

),

-- dormancy
active_days as (

    select distinct
        account_id,
        trans_date
    from transactions

),

gaps_measured as (

    select
        account_id,
        trans_date,
        {{ days_between(
            'lag(trans_date) over (partition by account_id order by trans_date)', 'trans_date'
        ) }} as gap_days
    from active_days

),

dormancy_scored as (

    select
        gaps.account_id,
        gaps.trans_date as event_date,
        'dormancy' as signal,
        cast(gaps.gap_days as double) as observed_value,
        -- the account's usual days per active day, outside this gap
        greatest({{ days_between('spans.first_date', data_end) }} + 1 - gaps.gap_days, 1)
        / greatest(spans.n_active_days - 1, 1) as baseline_value,
        spans.n_active_days as n_history,
        (gaps.gap_days - 1) * greatest(spans.n_active_days - 1, 1)
        / greatest({{ days_between('spans.first_date', data_end) }} + 1 - gaps.gap_days, 1)
        / ln(10) as evidence
    from gaps_measured as gaps
    inner join account_spans as spans
        on gaps.account_id = spans.account_id
    where gaps.gap_days is not null

),

signals as (

    -- the four CTEs list the same columns in the same order (Spark SQL has no UNION BY NAME)
    select * from cash_scored
    union all
    select * from income_scored
    union all
    select * from new_counterparty_scored
    union all
    select * from dormancy_scored

),

signals_ranked as (

    select
        *,
        row_number() over (
            partition by account_id, signal
            order by evidence desc, event_date asc
        ) as signal_rank
    from signals

),

strongest_per_account as (

    select *
    from signals_ranked
    where signal_rank = 1

),

final as (

    select
        -- ids
        account_id,
        signal,

        -- the account's strongest event on this signal
        cast(event_date as date) as event_date,
        cast(observed_value as double) as observed_value,
        cast(round(baseline_value, 6) as double) as baseline_value,
        cast(n_history as bigint) as n_history,

        -- surprise against the account's own baseline, -log10 probability (6 decimals: stable across engines)
        cast(round(evidence, 6) as double) as evidence
    from strongest_per_account

)

select * from final
