-- raw.digital_events: every row is clean (and reaches fct_digital_events)
-- or rejected into quarantine_rows.
{{ raw_rows_reconcile(
    'digital_events', source('digital', 'digital_events'), 'int_events_validated', 'fct_digital_events'
) }}
