{#-
    Berka dates: `YYMMDD` integers in the 1900s (`930101` = 1993-01-01),
    optionally followed by a midnight time (`card.issued` is
    `931107 00:00:00`). Anything else, or an impossible calendar date,
    gives NULL; callers flag a non-blank input that gives NULL as
    `malformed_date`.
-#}
{% macro parse_yymmdd(column) -%}
    {{ return(adapter.dispatch('parse_yymmdd', 'ledgerlab')(column)) }}
{%- endmacro %}

{% macro default__parse_yymmdd(column) -%}
    case
        when trim({{ column }}) similar to '[0-9]{6}( 00:00:00)?'
            then cast(
                '19' || substring(trim({{ column }}), 1, 2)
                || '-' || substring(trim({{ column }}), 3, 2)
                || '-' || substring(trim({{ column }}), 5, 2)
                as date
            )
    end
{%- endmacro %}

{% macro duckdb__parse_yymmdd(column) -%}
    case
        when regexp_full_match(trim({{ column }}), '[0-9]{6}( 00:00:00)?')
            then cast(try_strptime('19' || left(trim({{ column }}), 6), '%Y%m%d') as date)
    end
{%- endmacro %}

{#- Spark: an impossible date (930230) gives NULL through try_to_timestamp. -#}
{% macro spark__parse_yymmdd(column) -%}
    case
        when trim({{ column }}) rlike '^[0-9]{6}( 00:00:00)?$'
            then cast(try_to_timestamp('19' || left(trim({{ column }}), 6), 'yyyyMMdd') as date)
    end
{%- endmacro %}
