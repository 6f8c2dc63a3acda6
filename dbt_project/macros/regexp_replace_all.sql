{#-
    Every match of the regular expression `pattern` in `expression` replaced
    by `replacement`, in which `\1`..`\9` refer to the pattern's groups.
    `pattern` and `replacement` are SQL string literals, quotes included.
-#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'ledgerlab')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{#-
    Spark (Java regular expressions) replaces every match and writes groups
    as $1; its string literals read a backslash as an escape, so the
    pattern's backslashes are doubled.
-#}
{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern | replace('\\', '\\\\') }}, {{ replacement | replace('\\', '$') }})
{%- endmacro %}
