{#-
    A code as staging compares it: trimmed, in its canonical letter case
    (`upper`, or `lower` for card types), NULL when blank. This is the
    repair of `untrimmed_code` and `wrong_case_code`.
-#}
{% macro clean_code(column, letter_case='upper') -%}
    nullif({{ letter_case }}(trim({{ column }})), '')
{%- endmacro %}
