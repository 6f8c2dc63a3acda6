{#- Aggregate: the median absolute deviation from the median (unscaled), as DuckDB's mad(). -#}
{% macro median_absolute_deviation(column) -%}
    {{ return(adapter.dispatch('median_absolute_deviation', 'ledgerlab')(column)) }}
{%- endmacro %}

{% macro default__median_absolute_deviation(column) -%}
    {{ exceptions.raise_compiler_error("median_absolute_deviation needs a MAD aggregate; add a "
        ~ adapter.type() ~ "__median_absolute_deviation macro") }}
{%- endmacro %}

{% macro duckdb__median_absolute_deviation(column) -%}
    mad({{ column }})
{%- endmacro %}

{#-
    Spark has median but no MAD aggregate: the group's values are collected
    and sorted, and both medians (of the values, of the absolute deviations)
    read from the middle of the sorted arrays, interpolated as DuckDB's are.
-#}
{% macro spark__median_absolute_deviation(column) -%}
    {%- set values = "array_sort(collect_list(cast(" ~ column ~ " as double)))" -%}
    {{ ledgerlab._spark_sorted_median("array_sort(transform(" ~ values ~ ", v -> abs(v - "
        ~ ledgerlab._spark_sorted_median(values) ~ ")))") }}
{%- endmacro %}

{#- The median of a sorted, non-empty array (NULL when empty). -#}
{% macro _spark_sorted_median(sorted_array) -%}
    case when size({{ sorted_array }}) > 0 then
        (element_at({{ sorted_array }}, cast(floor((size({{ sorted_array }}) - 1) / 2) as int) + 1)
        + element_at({{ sorted_array }}, cast(ceil((size({{ sorted_array }}) - 1) / 2) as int) + 1)) / 2
    end
{%- endmacro %}
