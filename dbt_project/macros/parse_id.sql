{#- An integer identifier written as text; NULL when blank or not an integer. -#}
{% macro parse_id(column) -%}
    {{ ledgerlab.safe_cast("trim(" ~ column ~ ")", 'bigint') }}
{%- endmacro %}
