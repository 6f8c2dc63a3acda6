{#- Hash of a row's raw values (lineage excluded): exact duplicate rows share it. -#}
{% macro row_fingerprint(columns) -%}
    md5(concat_ws(chr(31)
    {%- for column in columns %},
        coalesce('v' || {{ column }}, 'n')
    {%- endfor %}
    ))
{%- endmacro %}
