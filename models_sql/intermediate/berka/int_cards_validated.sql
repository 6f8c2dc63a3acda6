{#- Every card row with its final verdict: clean, repaired or rejected (and why). -#}
{{ validated_rows(
    'stg_berka__cards',
    foreign_keys=[{'column': 'disp_id', 'parent_model': 'int_dispositions_validated', 'parent_column': 'disp_id'}]
) }}
