{#- Condition: the code had spaces around it (blank codes are not repairs). -#}
{% macro is_untrimmed_code(column) -%}
    ({{ column }} <> trim({{ column }}) and trim({{ column }}) <> '')
{%- endmacro %}
