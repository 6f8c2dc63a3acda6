-- raw.client: every row is either clean (and reaches dim_clients) or rejected into quarantine_rows.
{{ raw_rows_reconcile('client', source('berka', 'client'), 'int_clients_validated', 'dim_clients') }}
