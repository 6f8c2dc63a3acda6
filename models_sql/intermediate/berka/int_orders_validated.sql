{#- Every order row with its final verdict: clean, repaired or rejected (and why). -#}
{{ validated_rows(
    'stg_berka__orders',
    foreign_keys=[{'column': 'account_id', 'parent_model': 'int_accounts_validated', 'parent_column': 'account_id'}]
) }}
