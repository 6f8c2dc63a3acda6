-- raw.taiwan_credit_card: every row is clean (and reaches card_default_features)
-- or rejected into quarantine_rows.
{{ raw_rows_reconcile(
    'taiwan_credit_card',
    source('taiwan', 'taiwan_credit_card'),
    'int_credit_card_clients_validated',
    'card_default_features'
) }}
