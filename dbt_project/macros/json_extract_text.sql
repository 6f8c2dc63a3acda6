{#- The text value at a JSONPath (`$.device.os`) of a JSON text column; NULL when absent. -#}
{% macro json_extract_text(column, path) -%}
    {{ return(adapter.dispatch('json_extract_text', 'ledgerlab')(column, path)) }}
{%- endmacro %}

{% macro default__json_extract_text(column, path) -%}
    json_value({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro duckdb__json_extract_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}
