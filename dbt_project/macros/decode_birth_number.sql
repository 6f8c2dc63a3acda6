{#-
    Berka's birth number is `YYMMDD` for men and `YY(MM+50)DD` for women,
    in the 1900s. `part` is one of `gender` ('M'/'F'), `birth_date`,
    `birth_year`. Malformed numbers give NULL.
-#}
{% macro decode_birth_number(column, part) -%}
    {{ return(adapter.dispatch('decode_birth_number', 'ledgerlab')(column, part)) }}
{%- endmacro %}

{% macro default__decode_birth_number(column, part) -%}
    {%- set digits = "trim(" ~ column ~ ")" -%}
    {%- set month_raw = ledgerlab.safe_cast("substring(" ~ digits ~ ", 3, 2)", "integer") -%}
    {%- if part == 'gender' -%}
        case
            when {{ ledgerlab.decode_birth_number(column, 'birth_date') }} is null then null
            when {{ month_raw }} > 50 then 'F'
            else 'M'
        end
    {%- elif part == 'birth_date' -%}
        case
            when length({{ digits }}) = 6
                then {{ ledgerlab.parse_yymmdd(
                    "substring(" ~ digits ~ ", 1, 2) || lpad(cast(case when " ~ month_raw ~ " > 50 then "
                    ~ month_raw ~ " - 50 else " ~ month_raw ~ " end as " ~ ledgerlab.type_text() ~ "), 2, '0') || substring("
                    ~ digits ~ ", 5, 2)"
                ) }}
        end
    {%- elif part == 'birth_year' -%}
        extract(year from {{ ledgerlab.decode_birth_number(column, 'birth_date') }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("decode_birth_number: part must be gender, birth_date or birth_year, got " ~ part) }}
    {%- endif -%}
{%- endmacro %}
