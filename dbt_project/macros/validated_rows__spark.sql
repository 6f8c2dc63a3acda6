{#-
    validated_rows on Spark: the same verdicts as the DuckDB body in
    validated_rows.sql, in Spark SQL (no NOT MATERIALIZED, no `* exclude`:
    the staging model's columns are listed from the relation).
-#}
{% macro spark__validated_rows(staging_model, foreign_keys=[]) -%}
{%- set staged_columns = adapter.get_columns_in_relation(ref(staging_model)) if execute else [] -%}
with

staged as (

    select * from {{ ref(staging_model) }}

),
{% for fk in foreign_keys %}
parent_keys_{{ loop.index }} as (

    select distinct {{ fk.parent_column }} as parent_key
    from {{ ref(fk.parent_model) }}
    where {{ fk.parent_column }} is not null

),
{% endfor %}
repeated_fingerprints as (

    select row_fingerprint
    from staged
    group by row_fingerprint
    having count(*) > 1

),

copies_of_repeated_rows as (

    select
        _source_file,
        _source_line,
        row_number() over (
            partition by row_fingerprint order by _source_file, _source_line
        ) as copy_number
    from staged
    where row_fingerprint in (select row_fingerprint from repeated_fingerprints)

),

copies_numbered as (

    select
        staged.*,
        coalesce(copies.copy_number, 1) as copy_number
    from staged
    left join copies_of_repeated_rows as copies
        on staged._source_file = copies._source_file
        and staged._source_line = copies._source_line

),

orphans_flagged as (

    select
        copies_numbered.*,
        (false
        {%- for fk in foreign_keys %}
            or (copies_numbered.{{ fk.column }} is not null and not exists (
                select 1 from parent_keys_{{ loop.index }} as parents
                where parents.parent_key = copies_numbered.{{ fk.column }}
            ))
        {%- endfor %}
        ) as has_orphan_key
    from copies_numbered

),

verdicts as (

    select
        *,
        case
            when copy_number > 1 then 'duplicate_row'
            when rejection_reason is not null then rejection_reason
            when has_orphan_key then 'orphan_foreign_key'
        end as rejected_reason
    from orphans_flagged

),

final as (

    select
    {%- for column in staged_columns %}
        {%- if column.name == 'raw_record' %}
        case when rejected_reason is not null or repair_reasons is not null then raw_record end as raw_record,
        {%- else %}
        {{ adapter.quote(column.name) }},
        {%- endif %}
    {%- endfor %}
        copy_number,
        coalesce(rejected_reason, repair_reasons) as quarantine_reason,
        case
            when rejected_reason is not null then 'rejected'
            when repair_reasons is not null then 'repaired'
        end as quarantine_action,
        rejected_reason is null as is_clean
    from verdicts

)

select * from final
{%- endmacro %}
