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
