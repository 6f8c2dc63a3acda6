{#-
    True when a raw text field of `source_table` is longer than its column's
    limit: var `max_text_length` in dbt_project.yml ({default: N,
    source_table: {column: N}}; docs/CLEANING_RULES.md). `columns` are the
    raw columns to check. A NULL field is not oversized.
-#}
{% macro is_oversized_field(source_table, columns) -%}
    {%- set limits = var('max_text_length') -%}
    {%- set declared = limits.get(source_table, {}) -%}
    (
    {%- for column in columns %}
        {% if not loop.first %}or {% endif -%}
        coalesce(length({{ column }}) > {{ declared.get(column, limits['default']) }}, false)
    {%- endfor %}
    )
{%- endmacro %}
