{#-
    A select list meaning "every column except some, with some replaced in
    place" over a CTE built on `relation`: the relation's own columns in order
    (a replaced one keeps its position), then `added_columns` (those the CTEs
    added after them), leaving out `except_columns`.
    DuckDB writes it as `* exclude (..) replace (..)`; elsewhere the columns
    are listed from the relation (Spark SQL has no `* except`).
    replacements: {column: SQL expression}.
-#}
{% macro star_except_replace(relation, added_columns=[], except_columns=[], replacements={}) -%}
    {{ return(adapter.dispatch('star_except_replace', 'ledgerlab')(relation, added_columns, except_columns, replacements)) }}
{%- endmacro %}

{% macro default__star_except_replace(relation, added_columns=[], except_columns=[], replacements={}) -%}
{%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list if execute else [] -%}
{%- set listed = [] -%}
{%- for column in columns + added_columns if column not in except_columns -%}
    {%- if column in replacements -%}
        {%- do listed.append(replacements[column] ~ ' as ' ~ adapter.quote(column)) -%}
    {%- else -%}
        {%- do listed.append(adapter.quote(column)) -%}
    {%- endif -%}
{%- endfor -%}
{{ listed | join(',\n        ') }}
{%- endmacro %}

{% macro duckdb__star_except_replace(relation, added_columns=[], except_columns=[], replacements={}) -%}
*
{%- if except_columns %} exclude ({{ except_columns | join(', ') }}){% endif %}
{%- if replacements %} replace (
    {%- for column, expression in replacements.items() %}
            {{ expression }} as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
        )
{%- endif %}
{%- endmacro %}
