{#-
    account_monthly: opening_balance + net_flow = closing_balance. Warning
    only, for the same reason as the running-balance test: the real data's
    balances drift.
-#}
{{ config(severity='warn') }}

select *
from {{ ref('account_monthly') }}
where abs(opening_balance + net_flow - closing_balance) > 0.01
