{#- Every district row with its final verdict: clean, repaired or rejected (and why). -#}
{{ validated_rows(
    'stg_berka__districts',
    foreign_keys=[]
) }}
