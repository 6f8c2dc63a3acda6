{#- Calendar month boundaries crossed from `start_date` to `end_date` (DuckDB's datediff('month', ..)), an integer. -#}
{% macro month_diff(start_date, end_date) -%}
    {{ return(adapter.dispatch('month_diff', 'ledgerlab')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__month_diff(start_date, end_date) -%}
    datediff('month', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{#- Spark's datediff(MONTH, ..) counts whole months, not boundaries: by year and month instead. -#}
{% macro spark__month_diff(start_date, end_date) -%}
    cast((year({{ end_date }}) * 12 + month({{ end_date }})) - (year({{ start_date }}) * 12 + month({{ start_date }})) as bigint)
{%- endmacro %}
