{#- Condition: the amount was written with a decimal comma. -#}
{% macro is_comma_decimal(column) -%}
    ({{ column }} like '%,%' and {{ column }} not like '%.%')
{%- endmacro %}
