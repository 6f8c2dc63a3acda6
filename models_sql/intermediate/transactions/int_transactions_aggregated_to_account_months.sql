{#-
    Transactions summed per account and calendar month, flows split by
    kind. Only months with at least one transaction; account_monthly fills
    the gaps.
-#}
with

transactions as (

    {{ clean_rows('int_transactions_validated') }}

),

categorised as (

    select
        *,
        case
            when direction = 'credit' and operation = 'cash_deposit' then 'cash_deposit'
            when direction = 'credit' and operation = 'collection_from_other_bank' then 'collection'
            when direction = 'credit' and payment_purpose = 'interest_credited' then 'interest'
            when direction = 'credit' then 'other'
            when operation = 'cash_withdrawal' then 'cash_withdrawal'
            when operation = 'card_withdrawal' then 'card_withdrawal'
            when operation = 'remittance_to_other_bank' then 'remittance'
            when payment_purpose in ('statement_fee', 'penalty_interest') then 'fees'
            else 'other'
        end as flow_kind
    from transactions

),

aggregated as (

    select
        account_id,
        trans_month,
        count(*) as n_transactions,

        -- balances: file order breaks same-day ties
        min_by(balance_after - signed_amount, {{ epoch_seconds('trans_date') }} * 1000000 + _source_line)
            as balance_before_first,
        max_by(balance_after, {{ epoch_seconds('trans_date') }} * 1000000 + _source_line) as balance_after_last,
        min(balance_after) as min_balance,

        -- inflows
        coalesce(sum(amount) filter (where direction = 'credit'), 0) as inflow_total,
        coalesce(sum(amount) filter (where direction = 'credit' and flow_kind = 'cash_deposit'), 0)
            as inflow_cash_deposit,
        coalesce(sum(amount) filter (where direction = 'credit' and flow_kind = 'collection'), 0)
            as inflow_collection,
        coalesce(sum(amount) filter (where direction = 'credit' and flow_kind = 'interest'), 0)
            as inflow_interest,
        coalesce(sum(amount) filter (where direction = 'credit' and flow_kind = 'other'), 0)
            as inflow_other,

        -- outflows
        coalesce(sum(amount) filter (where direction = 'debit'), 0) as outflow_total,
        coalesce(sum(amount) filter (where direction = 'debit' and flow_kind = 'cash_withdrawal'), 0)
            as outflow_cash_withdrawal,
        coalesce(sum(amount) filter (where direction = 'debit' and flow_kind = 'card_withdrawal'), 0)
            as outflow_card_withdrawal,
        coalesce(sum(amount) filter (where direction = 'debit' and flow_kind = 'remittance'), 0)
            as outflow_remittance,
        coalesce(sum(amount) filter (where direction = 'debit' and flow_kind = 'fees'), 0)
            as outflow_fees,
        coalesce(sum(amount) filter (where direction = 'debit' and flow_kind = 'other'), 0)
            as outflow_other
    from categorised
    group by account_id, trans_month

)

select * from aggregated
