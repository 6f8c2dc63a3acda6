{#-
    Body of a singular test: for one raw table, raw rows = clean rows +
    rejected rows in quarantine_rows, and (when given) the clean rows all
    reach `clean_model` (a mart). Returns one row describing the gap when
    the identity fails.
-#}
{% macro raw_rows_reconcile(source_table, raw_relation, validated_model, clean_model=none) %}
with

raw_rows as (

    select count(*) as n from {{ raw_relation }}

),

clean_rows as (

    select count(*) as n from {{ ref(validated_model) }}
    where is_clean

),

rejected_rows as (

    select count(*) as n from {{ ref('quarantine_rows') }}
    where
        source_table = '{{ source_table }}'
        and action = 'rejected'
        and reason <> 'unparseable_line'

),
{% if clean_model %}
mart_rows as (

    select count(*) as n from {{ ref(clean_model) }}

),
{% endif %}
final as (

    select
        '{{ source_table }}' as source_table,
        raw_rows.n as raw_rows,
        clean_rows.n as clean_rows,
        rejected_rows.n as rejected_rows,
        {% if clean_model %}mart_rows.n{% else %}clean_rows.n{% endif %} as mart_rows
    from raw_rows
    cross join clean_rows
    cross join rejected_rows
    {% if clean_model %}cross join mart_rows{% endif %}

)

select * from final
where raw_rows <> clean_rows + rejected_rows or mart_rows <> clean_rows
{% endmacro %}
