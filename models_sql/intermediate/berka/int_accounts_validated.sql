{#- Every account row with its final verdict: clean, repaired or rejected (and why). -#}
{{ validated_rows(
    'stg_berka__accounts',
    foreign_keys=[{'column': 'district_id', 'parent_model': 'stg_berka__districts', 'parent_column': 'district_id'}]
) }}
