{#- Seconds since 1970-01-01 of a date or timestamp (UTC), as an ordering or difference key. -#}
{% macro epoch_seconds(expression) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'ledgerlab')(expression)) }}
{%- endmacro %}

{% macro default__epoch_seconds(expression) -%}
    extract(epoch from {{ expression }})
{%- endmacro %}

{% macro duckdb__epoch_seconds(expression) -%}
    epoch({{ expression }})
{%- endmacro %}

{% macro spark__epoch_seconds(expression) -%}
    unix_timestamp(cast({{ expression }} as timestamp))
{%- endmacro %}
