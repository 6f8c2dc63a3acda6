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
    Each array is bound once to a lambda variable (`_spark_let`): written out,
    the median's text repeats its array five times, and the values' median
    inside the deviations' lambda would re-sort the group for every value.
-#}
{% macro spark__median_absolute_deviation(column) -%}
    {{ ledgerlab._spark_let(
        "array_sort(collect_list(cast(" ~ column ~ " as double)))", "mad_values",
        ledgerlab._spark_let(
            "array_sort(transform(mad_values, mad_value -> abs(mad_value - "
                ~ ledgerlab._spark_sorted_median("mad_values") ~ ")))", "mad_deviations",
            ledgerlab._spark_sorted_median("mad_deviations"))) }}
{%- endmacro %}

{#- `body` with `name` bound to the value of `expression`, evaluated once (Spark SQL has no LET). -#}
{% macro _spark_let(expression, name, body) -%}
    element_at(transform(array({{ expression }}), {{ name }} -> {{ body }}), 1)
{%- endmacro %}

{#- The median of a sorted array (NULL when empty). -#}
{% macro _spark_sorted_median(sorted_array) -%}
    case when size({{ sorted_array }}) > 0 then
        (element_at({{ sorted_array }}, cast(floor((size({{ sorted_array }}) - 1) / 2) as int) + 1)
        + element_at({{ sorted_array }}, cast(ceil((size({{ sorted_array }}) - 1) / 2) as int) + 1)) / 2
    end
{%- endmacro %}
