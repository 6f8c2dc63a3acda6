{#- A row's raw values (lineage excluded) as one comparable value: exact duplicate rows share
    it, NULL and an empty text stay apart. It is compared and hashed, never stored: the
    validated models leave it out (validated_rows). A struct of the raw columns costs next to
    nothing to build; an md5 of their concatenation, as before, cost a third of
    int_transactions_validated (it was computed on each of the model's three reads). -#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'ledgerlab')(columns)) }}
{%- endmacro %}

{#- Engines without a struct type: the md5 of the values, NULL coded apart from text. -#}
{% macro default__row_fingerprint(columns) -%}
    md5(concat_ws(chr(31)
    {%- for column in columns %},
        coalesce('v' || {{ column }}, 'n')
    {%- endfor %}
    ))
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    {
    {%- for column in columns -%}
        '{{ column }}': {{ adapter.quote(column) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
    }
{%- endmacro %}

{% macro spark__row_fingerprint(columns) -%}
    named_struct(
    {%- for column in columns -%}
        '{{ column }}', {{ adapter.quote(column) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
    )
{%- endmacro %}
