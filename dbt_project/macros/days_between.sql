{#- Whole days from `start_date` to `end_date` (negative when it lies before), as an integer. -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'ledgerlab')(start_date, end_date)) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL: date - date is the number of days. -#}
{% macro default__days_between(start_date, end_date) -%}
    ({{ end_date }} - {{ start_date }})
{%- endmacro %}

{#- Spark: date - date is a day-time interval; datediff gives an int (DuckDB: bigint). -#}
{% macro spark__days_between(start_date, end_date) -%}
    cast(datediff({{ end_date }}, {{ start_date }}) as bigint)
{%- endmacro %}
