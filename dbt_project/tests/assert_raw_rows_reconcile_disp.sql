-- raw.disp: every row is either clean (and reaches the validated model) or rejected into quarantine_rows.
{{ raw_rows_reconcile('disp', source('berka', 'disp'), 'int_dispositions_validated') }}
