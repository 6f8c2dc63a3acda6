{#- Condition: non-blank text that does not parse as a YYMMDD date. -#}
{% macro is_malformed_yymmdd(column) -%}
    ({{ ledgerlab.parse_yymmdd(column) }} is null)
{%- endmacro %}
