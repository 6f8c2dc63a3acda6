{#-
    True when a number of `source_table` lies outside its declared
    plausibility bounds: var `plausibility_bounds` in dbt_project.yml, the one
    place they are declared ({source_table: {column: {min, max}}}, inclusive;
    docs/CLEANING_RULES.md lists them). Columns are read as amounts (trimmed,
    decimal comma accepted); a NULL or unparseable value is left to the other
    rules (false here). `false` when the table declares no bounds.
-#}
{% macro is_implausible(source_table) -%}
    {%- set bounds = var('plausibility_bounds').get(source_table, {}) -%}
    {%- if not bounds -%}
    false
    {%- else -%}
    (
    {%- for column, bound in bounds.items() %}
        {%- set value = ledgerlab.parse_amount(column, 'double') %}
        {% if not loop.first %}or {% endif -%}
        coalesce({{ value }} not between {{ bound['min'] }} and {{ bound['max'] }}, false)
    {%- endfor %}
    )
    {%- endif -%}
{%- endmacro %}
