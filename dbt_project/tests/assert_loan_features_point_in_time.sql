-- No loan feature may see the loan's own date or later: history ends strictly before loan_date.
select
    loan_id,
    loan_date,
    days_since_last_transaction,
    days_since_last_login
from {{ ref('loan_features') }}
where
    days_since_last_transaction <= 0
    or days_since_last_login <= 0
    or (n_transactions = 0 and (history_months != 0 or mean_balance is not null))
