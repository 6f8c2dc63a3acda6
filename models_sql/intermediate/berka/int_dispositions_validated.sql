{#- Every disposition row with its final verdict: clean, repaired or rejected (and why). -#}
{{ validated_rows(
    'stg_berka__dispositions',
    foreign_keys=[{'column': 'client_key', 'parent_model': 'int_clients_validated', 'parent_column': 'client_key'}, {'column': 'account_id', 'parent_model': 'int_accounts_validated', 'parent_column': 'account_id'}]
) }}
