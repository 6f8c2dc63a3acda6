-- raw.district: every row is either clean (and reaches dim_districts) or rejected into quarantine_rows.
{{ raw_rows_reconcile('district', source('berka', 'district'), 'int_districts_validated', 'dim_districts') }}
