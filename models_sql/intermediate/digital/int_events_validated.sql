{#- The largest sources are validated once and read by several marts (facts, quarantine,
    features): a table here saves recomputing the cleaning for each consumer. -#}
{{ config(materialized='table', schema='intermediate') }}
{#- Every digital event line with its final verdict: clean, repaired or rejected (and why). -#}
{{ validated_rows(
    'stg_digital__events',
    foreign_keys=[{'column': 'client_key', 'parent_model': 'int_clients_validated', 'parent_column': 'client_key'}]
) }}
