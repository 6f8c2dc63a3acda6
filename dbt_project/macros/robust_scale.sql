{#-
    Aggregate: the scale of a robust z-score, the median absolute deviation
    floored at var('anomaly_mad_floor_share') x |median| and at 1, so values
    that mostly repeat exactly (MAD = 0) do not make every other value an outlier.
    One body; the MAD aggregate is dispatched (median_absolute_deviation).
-#}
{% macro robust_scale(column) -%}
    greatest({{ ledgerlab.median_absolute_deviation(column) }}, {{ var('anomaly_mad_floor_share') }} * abs(median({{ column }})), 1)
{%- endmacro %}
