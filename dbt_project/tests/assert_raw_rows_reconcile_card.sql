-- raw.card: every row is either clean (and reaches the validated model) or rejected into quarantine_rows.
{{ raw_rows_reconcile('card', source('berka', 'card'), 'int_cards_validated') }}
