{#- Condition: the code was written in the wrong letter case. -#}
{% macro is_wrong_case_code(column, letter_case='upper') -%}
    (trim({{ column }}) <> {{ letter_case }}(trim({{ column }})))
{%- endmacro %}
