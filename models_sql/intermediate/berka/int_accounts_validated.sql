{#- Every account row with its final verdict: clean, repaired or rejected (and why). -#}
{{ validated_rows(
    'stg_berka__accounts',
    foreign_keys=[{'column': 'district_id', 'parent_model': 'int_districts_validated', 'parent_column': 'district_id'}]
) }}
