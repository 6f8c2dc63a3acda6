{#- ln(n!) of a non-negative integer expression, as a double (lgamma(n + 1)). -#}
{% macro log_factorial(n) -%}
    {{ return(adapter.dispatch('log_factorial', 'ledgerlab')(n)) }}
{%- endmacro %}

{% macro default__log_factorial(n) -%}
    lgamma({{ n }} + 1)
{%- endmacro %}

{#- Spark has no lgamma: the sum of ln(k) for k = 2..n (n is a count, small per row). -#}
{% macro spark__log_factorial(n) -%}
    case
        when {{ n }} < 2 then cast(0 as double)
        else aggregate(sequence(2, cast({{ n }} as int)), cast(0 as double), (total, k) -> total + ln(k))
    end
{%- endmacro %}
