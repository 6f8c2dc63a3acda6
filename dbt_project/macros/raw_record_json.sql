{#-
    The raw row as JSON text for the quarantine. `columns` are the raw
    columns to keep; `replacements` maps a JSON key to an SQL expression that
    replaces the raw value (client ids become pseudonyms; birth numbers are
    left out by not listing them).
-#}
{% macro raw_record_json(columns, replacements={}) -%}
    {{ return(adapter.dispatch('raw_record_json', 'ledgerlab')(columns, replacements)) }}
{%- endmacro %}

{#- SQL:2016 JSON_OBJECT (PostgreSQL 16+, Oracle, Db2, SQL Server 2022). -#}
{% macro default__raw_record_json(columns, replacements={}) -%}
    cast(json_object(
    {%- for column in columns %}
        '{{ column }}' value {{ replacements.get(column, adapter.quote(column)) }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ) as varchar(8000))
{%- endmacro %}

{#- DuckDB has no JSON_OBJECT ... VALUE syntax; struct_pack keeps the key order. -#}
{% macro duckdb__raw_record_json(columns, replacements={}) -%}
    cast(to_json(struct_pack(
    {%- for column in columns %}
        {{ adapter.quote(column) }} := {{ replacements.get(column, adapter.quote(column)) }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    )) as varchar)
{%- endmacro %}

{#- Spark's to_json drops NULL fields unless told not to; DuckDB keeps them as null. -#}
{% macro spark__raw_record_json(columns, replacements={}) -%}
    to_json(named_struct(
    {%- for column in columns %}
        '{{ column }}', {{ replacements.get(column, adapter.quote(column)) }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}
