{#- The engine's name of the text type in casts (varchar in DuckDB, string in Spark). -#}
{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'ledgerlab')()) }}
{%- endmacro %}

{% macro default__type_text() -%}
    varchar
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}
