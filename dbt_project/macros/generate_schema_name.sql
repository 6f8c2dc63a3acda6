{#-
    Schemas are exactly the names configured (`staging`, `marts`), not dbt's
    default `<target_schema>_<custom>`: the Python side and Great
    Expectations read `marts.loan_features`, whatever the target.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
