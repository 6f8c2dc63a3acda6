{#- True when the text is a JSON object (a line of a JSONL file that parses). -#}
{% macro is_valid_json_object(column) -%}
    {{ return(adapter.dispatch('is_valid_json_object', 'ledgerlab')(column)) }}
{%- endmacro %}

{% macro default__is_valid_json_object(column) -%}
    coalesce({{ column }} is json object, false)
{%- endmacro %}

{% macro duckdb__is_valid_json_object(column) -%}
    case when json_valid({{ column }}) then json_type({{ column }}) = 'OBJECT' else false end
{%- endmacro %}

{#- Spark: schema_of_json fails on malformed text; try_parse_json (Spark 4 VARIANT) does not. -#}
{% macro spark__is_valid_json_object(column) -%}
    coalesce(schema_of_variant(try_parse_json({{ column }})) like 'OBJECT<%', false)
{%- endmacro %}
