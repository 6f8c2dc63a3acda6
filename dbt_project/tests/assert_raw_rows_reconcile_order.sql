-- raw.order: every row is either clean (and reaches the validated model) or rejected into quarantine_rows.
{{ raw_rows_reconcile('order', source('berka', 'order'), 'int_orders_validated') }}
