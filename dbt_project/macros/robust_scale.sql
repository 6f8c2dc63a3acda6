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
