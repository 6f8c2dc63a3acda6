{#-
    Aggregate: the scale of a robust z-score, the median absolute deviation
    floored at var('anomaly_mad_floor_share') x |median| and at 1, so values
    that mostly repeat exactly (MAD = 0) do not make every other value an outlier.
-#}
{% macro robust_scale(column) -%}
    {{ return(adapter.dispatch('robust_scale', 'ledgerlab')(column)) }}
{%- endmacro %}

{% macro default__robust_scale(column) -%}
    {{ exceptions.raise_compiler_error("robust_scale needs a median absolute deviation aggregate; add a "
        ~ adapter.type() ~ "__robust_scale macro") }}
{%- endmacro %}

{% macro duckdb__robust_scale(column) -%}
    greatest(mad({{ column }}), {{ var('anomaly_mad_floor_share') }} * abs(median({{ column }})), 1)
{%- endmacro %}

{#-
    Spark has median but no MAD aggregate: the group's values are collected
    and sorted, and both medians (of the values, of the absolute deviations)
    read from the middle of the sorted arrays, interpolated as DuckDB's are.
-#}
{% macro spark__robust_scale(column) -%}
    {%- set values = "array_sort(collect_list(cast(" ~ column ~ " as double)))" -%}
    {%- set deviations = "array_sort(transform(" ~ values ~ ", v -> abs(v - "
        ~ ledgerlab._spark_sorted_median(values) ~ ")))" -%}
    greatest({{ ledgerlab._spark_sorted_median(deviations) }},
        {{ var('anomaly_mad_floor_share') }} * abs(median({{ column }})), 1)
{%- endmacro %}

{#- The median of a sorted, non-empty array (NULL when empty). -#}
{% macro _spark_sorted_median(sorted_array) -%}
    case when size({{ sorted_array }}) > 0 then
        (element_at({{ sorted_array }}, cast(floor((size({{ sorted_array }}) - 1) / 2) as int) + 1)
        + element_at({{ sorted_array }}, cast(ceil((size({{ sorted_array }}) - 1) / 2) as int) + 1)) / 2
    end
{%- endmacro %}
