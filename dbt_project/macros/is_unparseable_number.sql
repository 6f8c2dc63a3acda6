{#- Condition: non-blank text that is not a number. -#}
{% macro is_unparseable_number(column) -%}
    (nullif(trim({{ column }}), '') is not null
        and {{ ledgerlab.safe_cast("replace(trim(" ~ column ~ "), ',', '.')", 'double') }} is null)
{%- endmacro %}
