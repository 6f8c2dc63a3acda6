{#-
    dbt's cross-database cast on Spark, which has no bare `varchar` type:
    contracts declare `data_type: varchar` (DuckDB's name), which Spark
    reads as `string`. dbt looks for `spark__cast` in the root project
    before its own, so this one applies to contract checks too.
-#}
{% macro spark__cast(field, type) -%}
    {%- if type | trim | lower in ('varchar', 'text') -%}
        cast({{ field }} as string)
    {%- else -%}
        cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
