-- raw.trans: every row is either clean (and reaches fct_transactions) or rejected into quarantine_rows.
{{ raw_rows_reconcile('trans', source('berka', 'trans'), 'int_transactions_validated', 'fct_transactions') }}
