-- raw.account: every row is either clean (and reaches dim_accounts) or rejected into quarantine_rows.
{{ raw_rows_reconcile('account', source('berka', 'account'), 'int_accounts_validated', 'dim_accounts') }}
