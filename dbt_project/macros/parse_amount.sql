{#-
    An amount written as text: trimmed, a decimal comma read as a decimal
    point (the `comma_decimal` repair), scientific notation accepted
    (`1.00E+05`). Unparseable text gives NULL.
-#}
{% macro parse_amount(column, data_type='decimal(18, 2)') -%}
    {{ ledgerlab.safe_cast(
        ledgerlab.safe_cast("replace(trim(" ~ column ~ "), ',', '.')", 'double'),
        data_type
    ) }}
{%- endmacro %}
