{#- Condition: the date lies after the data's end, var('data_end_date'). -#}
{% macro is_after_data_end(date_expression) -%}
    ({{ date_expression }} > date '{{ var("data_end_date") }}')
{%- endmacro %}
