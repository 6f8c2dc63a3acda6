{#- Whole years between two dates (the age on `as_of` of someone born on `birth_date`). -#}
{% macro age_in_years(birth_date, as_of) -%}
    {{ return(adapter.dispatch('age_in_years', 'ledgerlab')(birth_date, as_of)) }}
{%- endmacro %}

{% macro default__age_in_years(birth_date, as_of) -%}
    (extract(year from {{ as_of }}) - extract(year from {{ birth_date }})
        - case
            when extract(month from {{ as_of }}) * 100 + extract(day from {{ as_of }})
                < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
                then 1
            else 0
        end)
{%- endmacro %}

{% macro duckdb__age_in_years(birth_date, as_of) -%}
    cast(date_sub('year', {{ birth_date }}, {{ as_of }}) as integer)
{%- endmacro %}
