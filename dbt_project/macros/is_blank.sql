{#- Condition: blank or missing text. -#}
{% macro is_blank(column) -%}
    nullif(trim({{ column }}), '') is null
{%- endmacro %}
