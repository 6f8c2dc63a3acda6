{#-
    A lateral subquery with one row per month start from `first_month` to
    `last_month` (both month starts), in column `column`:
    `cross join lateral {{ month_starts('a.first', 'a.last') }}`.
-#}
{% macro month_starts(first_month, last_month, column='month_start') -%}
    {{ return(adapter.dispatch('month_starts', 'ledgerlab')(first_month, last_month, column)) }}
{%- endmacro %}

{% macro default__month_starts(first_month, last_month, column='month_start') -%}
    (
        select unnest(generate_series({{ first_month }}, {{ last_month }}, interval 1 month))
            as {{ column }}
    )
{%- endmacro %}

{% macro spark__month_starts(first_month, last_month, column='month_start') -%}
    (
        select explode(sequence({{ first_month }}, {{ last_month }}, interval 1 month))
            as {{ column }}
    )
{%- endmacro %}
