-- raw.loan: every row is either clean (and reaches loan_features) or rejected into quarantine_rows.
{{ raw_rows_reconcile('loan', source('berka', 'loan'), 'int_loans_validated', 'loan_features') }}
