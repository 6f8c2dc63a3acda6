{#-
    Comma-separated list of the reasons whose condition holds, in the order
    given (most important first); NULL when none holds. `checks` is a list of
    [reason, condition SQL] pairs; a NULL condition counts as false.
-#}
{% macro flag_reasons(checks) -%}
    nullif(concat_ws(','
    {%- for reason, condition in checks %},
        case when {{ condition }} then '{{ reason }}' end
    {%- endfor %}
    ), '')
{%- endmacro %}
