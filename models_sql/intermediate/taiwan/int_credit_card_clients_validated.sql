{#- Every Taiwan card holder row with its final verdict: clean or rejected (and why). -#}
{{ validated_rows('stg_taiwan__credit_card_clients') }}
