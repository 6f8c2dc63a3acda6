{#-
    The body of an `int_<entity>s_validated` model: every row of a staging
    model with its final verdict. Adds what one row alone cannot show:
    - `duplicate_row`: a later exact copy (same raw values) of an earlier
      line; the first line is kept;
    - `orphan_foreign_key`: a foreign key that matches no key of its parent
      source (any parent row, so a rejected parent is not double-counted).
    Columns added: `copy_number`, `quarantine_reason`, `quarantine_action`
    (`rejected` | `repaired` | NULL), `is_clean` (goes to the marts);
    `raw_record` is kept only on quarantined rows (rejected or repaired).

    foreign_keys: list of {column, parent_model, parent_column}.
-#}
{% macro validated_rows(staging_model, foreign_keys=[]) -%}
with

-- read three times below: NOT MATERIALIZED keeps DuckDB from buffering every staged row
-- (at 100 M rows that spilled tens of GB); the two narrow reads only compute the fingerprint
staged as not materialized (

    select * from {{ ref(staging_model) }}

),
{% for fk in foreign_keys %}
parent_keys_{{ loop.index }} as (

    select distinct {{ fk.parent_column }} as parent_key
    from {{ ref(fk.parent_model) }}
    where {{ fk.parent_column }} is not null

),
{% endfor %}
{#- Copies are numbered only among the rows whose fingerprint occurs more than once
    (found by a narrow aggregate on a 64-bit hash of it; a hash collision only adds a
    candidate, the numbering itself is by the exact fingerprint). A window over every
    row would carry every column through a sort: at 100 M rows it spilled to disk. -#}
repeated_fingerprint_hashes as (

    select hash(row_fingerprint) as fingerprint_hash
    from staged
    group by hash(row_fingerprint)
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
    where hash(row_fingerprint) in (select fingerprint_hash from repeated_fingerprint_hashes)

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
        -- the raw record is kept where quarantine_rows needs it: on a clean, unrepaired
        -- row it only repeats the typed columns, and storing it for every row of a large
        -- table costs more than all the other columns together
        * exclude (rejected_reason, has_orphan_key) replace (
            case when rejected_reason is not null or repair_reasons is not null then raw_record end as raw_record
        ),
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
