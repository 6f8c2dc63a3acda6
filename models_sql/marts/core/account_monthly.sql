{#-
    Every calendar month from an account's first to its last transaction,
    months without transactions included (zero flows, balance carried).
    The opening balance is the previous month's closing balance; for the
    first month, the balance before its first transaction.
-#}
with

months_with_activity as (

    select * from {{ ref('int_transactions_aggregated_to_account_months') }}

),

account_spans as (

    select
        account_id,
        min(trans_month) as first_month,
        max(trans_month) as last_month
    from months_with_activity
    group by account_id

),

account_months as (

    select
        account_spans.account_id,
        cast(month_start as date) as month_start
    from account_spans
    cross join lateral {{ month_starts('account_spans.first_month', 'account_spans.last_month') }}

),

months_filled as (

    select
        account_months.account_id,
        account_months.month_start,
        coalesce(months_with_activity.n_transactions, 0) as n_transactions,
        months_with_activity.balance_before_first,
        -- carry the last known closing balance through months without transactions
        {{ last_value_ignore_nulls('months_with_activity.balance_after_last') }} over (
            partition by account_months.account_id order by account_months.month_start
            rows between unbounded preceding and current row
        ) as closing_balance,
        months_with_activity.min_balance,
        {%- for flow in ['inflow_total', 'inflow_cash_deposit', 'inflow_collection', 'inflow_interest',
            'inflow_other', 'outflow_total', 'outflow_cash_withdrawal', 'outflow_card_withdrawal',
            'outflow_remittance', 'outflow_fees', 'outflow_other'] %}
        coalesce(months_with_activity.{{ flow }}, 0) as {{ flow }},
        {%- endfor %}
        row_number() over (
            partition by account_months.account_id order by account_months.month_start
        ) as month_number
    from account_months
    left join months_with_activity
        on
            account_months.account_id = months_with_activity.account_id
            and account_months.month_start = months_with_activity.trans_month

),

final as (

    select
        -- grain
        account_id,
        month_start,
        month_number,

        -- balances
        cast(case
            when month_number = 1 then balance_before_first
            else lag(closing_balance) over (partition by account_id order by month_start)
        end as double) as opening_balance,
        cast(closing_balance as double) as closing_balance,
        cast(coalesce(min_balance, closing_balance) as double) as min_balance,

        -- activity
        n_transactions,
        cast(inflow_total - outflow_total as double) as net_flow,

        -- inflows by kind
        cast(inflow_total as double) as inflow_total,
        cast(inflow_cash_deposit as double) as inflow_cash_deposit,
        cast(inflow_collection as double) as inflow_collection,
        cast(inflow_interest as double) as inflow_interest,
        cast(inflow_other as double) as inflow_other,

        -- outflows by kind
        cast(outflow_total as double) as outflow_total,
        cast(outflow_cash_withdrawal as double) as outflow_cash_withdrawal,
        cast(outflow_card_withdrawal as double) as outflow_card_withdrawal,
        cast(outflow_remittance as double) as outflow_remittance,
        cast(outflow_fees as double) as outflow_fees,
        cast(outflow_other as double) as outflow_other
    from months_filled

)

select * from final
