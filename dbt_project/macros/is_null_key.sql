{#- Condition: an id or required foreign key is blank or not an integer. -#}
{% macro is_null_key(columns) -%}
    (
    {%- for column in columns %}
        {{ ledgerlab.parse_id(column) }} is null{% if not loop.last %} or{% endif %}
    {%- endfor %}
    )
{%- endmacro %}
