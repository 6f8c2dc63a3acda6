{#- Select-list expression: one output row per `separator`-separated part of `expression`. -#}
{% macro split_to_rows(expression, separator=',') -%}
    {{ return(adapter.dispatch('split_to_rows', 'ledgerlab')(expression, separator)) }}
{%- endmacro %}

{% macro default__split_to_rows(expression, separator=',') -%}
    unnest(string_split({{ expression }}, '{{ separator }}'))
{%- endmacro %}

{#- Spark's split takes a regular expression: the separator is quoted. -#}
{% macro spark__split_to_rows(expression, separator=',') -%}
    explode(split({{ expression }}, '\\Q{{ separator }}\\E'))
{%- endmacro %}
