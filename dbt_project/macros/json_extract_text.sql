{#- The text value at a JSONPath (`$.device.os`) of a JSON text column; NULL when absent. -#}
{% macro json_extract_text(column, path) -%}
    {{ return(adapter.dispatch('json_extract_text', 'ledgerlab')(column, path)) }}
{%- endmacro %}

{% macro default__json_extract_text(column, path) -%}
    json_value({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro duckdb__json_extract_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{#- The texts at several JSONPaths, as a list in the order of `paths` (NULL where absent). -#}
{% macro json_extract_texts(column, paths) -%}
    {{ return(adapter.dispatch('json_extract_texts', 'ledgerlab')(column, paths)) }}
{%- endmacro %}

{% macro default__json_extract_texts(column, paths) -%}
    array[
    {%- for path in paths %}
        {{ json_extract_text(column, path) }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    ]
{%- endmacro %}

{#- DuckDB parses the JSON text once for the whole list of paths. -#}
{% macro duckdb__json_extract_texts(column, paths) -%}
    json_extract_string({{ column }}, [
    {%- for path in paths -%}
        '{{ path }}'{% if not loop.last %}, {% endif %}
    {%- endfor -%}
    ])
{%- endmacro %}

{% macro spark__json_extract_text(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}

{#-
    Spark arrays are indexed from 0 where models index the list from 1
    (`fields[1]` is the first path): a NULL at index 0 keeps that meaning.
-#}
{% macro spark__json_extract_texts(column, paths) -%}
    array(cast(null as string),
    {%- for path in paths %}
        {{ ledgerlab.json_extract_text(column, path) }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    )
{%- endmacro %}
