{#-
    The verdict columns every staging model ends with, derived from its
    `rejection_reasons` and `repair_reasons` columns.
-#}
{% macro quality_flag_columns() -%}
    rejection_reasons is null as is_valid,
    split_part(rejection_reasons, ',', 1) as rejection_reason,
    repair_reasons is not null as is_repaired
{%- endmacro %}
