{#-
    The raw row as JSON text for the quarantine. `columns` are the raw
    columns to keep; `replacements` maps a JSON key to an SQL expression that
    replaces the raw value (client ids become pseudonyms; birth numbers are
    left out by not listing them).
-#}
{% macro raw_record_json(columns, replacements={}) -%}
    cast(to_json(struct_pack(
    {%- for column in columns %}
        {{ adapter.quote(column) }} := {{ replacements.get(column, adapter.quote(column)) }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    )) as varchar)
{%- endmacro %}
