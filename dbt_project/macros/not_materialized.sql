{#-
    The hint after `<cte> as` that keeps an engine from buffering a CTE read
    several times (`not materialized`); empty where the engine has none or
    decides alone (Spark plans every CTE inline).
-#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'ledgerlab')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}
