{#- A 64-bit hash of an expression: a narrow key to find candidate duplicates (a collision only adds a candidate). -#}
{% macro fingerprint_hash(expression) -%}
    {{ return(adapter.dispatch('fingerprint_hash', 'ledgerlab')(expression)) }}
{%- endmacro %}

{#- DuckDB: hash() is a 64-bit unsigned integer. -#}
{% macro default__fingerprint_hash(expression) -%}
    hash({{ expression }})
{%- endmacro %}

{#- Spark's hash() is 32-bit; xxhash64 is 64-bit. -#}
{% macro spark__fingerprint_hash(expression) -%}
    xxhash64({{ expression }})
{%- endmacro %}
