{#-
    The JSON object text `json_text` with key `key` set to the text value
    `value` (an SQL expression).
-#}
{% macro json_set_key(json_text, key, value) -%}
    {{ return(adapter.dispatch('json_set_key', 'ledgerlab')(json_text, key, value)) }}
{%- endmacro %}

{#- RFC 7386 merge patch: the result is re-serialised compactly, the key moved to the end. -#}
{% macro default__json_set_key(json_text, key, value) -%}
    cast(json_merge_patch({{ json_text }}, json_object('{{ key }}', {{ value }})) as varchar)
{%- endmacro %}

{#-
    Spark has no JSON merge: the key's string or number value is replaced in
    place, the rest of the text kept as written. The JSON value is the same
    as DuckDB's (the parity test compares such texts as JSON values).
-#}
{% macro spark__json_set_key(json_text, key, value) -%}
    regexp_replace({{ json_text }}, '("{{ key }}"\\s*:\\s*)("(\\\\.|[^"\\\\])*"|-?[0-9][0-9.eE+-]*)',
        concat('$1"', {{ value }}, '"'))
{%- endmacro %}
