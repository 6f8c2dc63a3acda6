{#- The largest sources are validated once and read by several marts (facts, quarantine,
    features): a table here saves recomputing the cleaning for each consumer. -#}
{{ config(materialized='table', schema='intermediate') }}
{#- Every transaction row with its final verdict: clean, repaired or rejected (and why). -#}
{{ validated_rows(
    'stg_berka__transactions',
    foreign_keys=[{'column': 'account_id', 'parent_model': 'int_accounts_validated', 'parent_column': 'account_id'}]
) }}
