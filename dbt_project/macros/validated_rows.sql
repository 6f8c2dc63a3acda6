{#-
    The body of an `int_<entity>s_validated` model: every row of a staging
    model with its final verdict. Adds what one row alone cannot show:
    - `duplicate_row`: a later exact copy (same raw values) of an earlier
      line; the first line is kept;
    - `orphan_foreign_key`: a foreign key with no clean parent row: no
      parent row has the key (`parent_reason` = `missing`), or every parent
      row with it was rejected (`parent_reason` = the parent's reason). The
      one orphan policy (docs/CLEANING_RULES.md): a child never outlives its
      rejected parent, so the marts' relationship tests stay strict and a
      build over rightly rejected rows passes with nothing lost. Parents are
      the parents' validated models, so the policy cascades (a rejected
      account takes its dispositions, and they their cards).
    Columns added: `copy_number`, `quarantine_reason`, `quarantine_action`
    (`rejected` | `repaired` | NULL), `is_clean` (goes to the marts),
    `parent_key` and `parent_reason` (set on orphans only: `<column>=<value>`
    of the first foreign key, in the order given, without a clean parent);
    `raw_record` is kept only on quarantined rows (rejected or repaired);
    `row_fingerprint` is dropped.

    foreign_keys: list of {column, parent_model, parent_column}; parent_model
    is the parent's validated model (int_<entity>s_validated).

    One body for every engine; what differs is dispatched: the CTE hint
    (not_materialized), the 64-bit hash (fingerprint_hash) and the final
    select list (star_except_replace), and the text type (type_text).
-#}
{% macro validated_rows(staging_model, foreign_keys=[]) -%}
with

-- read three times below: NOT MATERIALIZED keeps DuckDB from buffering every staged row
-- (at 100 M rows that spilled tens of GB); the two narrow reads only compute the fingerprint
staged as {{ ledgerlab.not_materialized() }} (

    select * from {{ ref(staging_model) }}

),
{% for fk in foreign_keys %}
parent_verdicts_{{ loop.index }} as (

    -- one row per parent key: does a clean row carry it, and if not, why was it rejected
    select
        {{ fk.parent_column }} as parent_key,
        bool_or(is_clean) as has_clean_parent,
        min(quarantine_reason) filter (where not is_clean) as rejected_parent_reason
    from {{ ref(fk.parent_model) }}
    where {{ fk.parent_column }} is not null
    group by {{ fk.parent_column }}

),
{% endfor %}
{#- Copies are numbered only among the rows whose fingerprint occurs more than once
    (found by a narrow aggregate on a 64-bit hash of it; a hash collision only adds a
    candidate, the numbering itself is by the exact fingerprint, the row's raw values).
    A window over every row would carry every column through a sort: at 100 M rows it
    spilled to disk. The fingerprint itself is not kept (final): it repeats the raw values. -#}
repeated_fingerprint_hashes as (

    select {{ ledgerlab.fingerprint_hash('row_fingerprint') }} as fingerprint_hash
    from staged
    group by {{ ledgerlab.fingerprint_hash('row_fingerprint') }}
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
    where {{ ledgerlab.fingerprint_hash('row_fingerprint') }} in (select fingerprint_hash from repeated_fingerprint_hashes)

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
        {%- if foreign_keys %}
        case
        {%- for fk in foreign_keys %}
            when copies_numbered.{{ fk.column }} is not null
                and not coalesce(parents_{{ loop.index }}.has_clean_parent, false)
                then '{{ fk.column }}=' || cast(copies_numbered.{{ fk.column }} as {{ ledgerlab.type_text() }})
        {%- endfor %}
        end as orphan_parent_key,
        case
        {%- for fk in foreign_keys %}
            when copies_numbered.{{ fk.column }} is not null
                and not coalesce(parents_{{ loop.index }}.has_clean_parent, false)
                then coalesce(parents_{{ loop.index }}.rejected_parent_reason, 'missing')
        {%- endfor %}
        end as orphan_parent_reason
        {%- else %}
        cast(null as {{ ledgerlab.type_text() }}) as orphan_parent_key,
        cast(null as {{ ledgerlab.type_text() }}) as orphan_parent_reason
        {%- endif %}
    from copies_numbered
    {%- for fk in foreign_keys %}
    left join parent_verdicts_{{ loop.index }} as parents_{{ loop.index }}
        on copies_numbered.{{ fk.column }} = parents_{{ loop.index }}.parent_key
    {%- endfor %}

),

verdicts as (

    select
        *,
        case
            when copy_number > 1 then 'duplicate_row'
            when rejection_reason is not null then rejection_reason
            when orphan_parent_key is not null then 'orphan_foreign_key'
        end as rejected_reason
    from orphans_flagged

),

final as (

    select
        -- the raw record is kept where quarantine_rows needs it: on a clean, unrepaired
        -- row it only repeats the typed columns, and storing it for every row of a large
        -- table costs more than all the other columns together
        {{ ledgerlab.star_except_replace(
            ref(staging_model),
            added_columns=['copy_number'],
            except_columns=['row_fingerprint', 'rejected_reason', 'orphan_parent_key', 'orphan_parent_reason'],
            replacements={'raw_record':
                'case when rejected_reason is not null or repair_reasons is not null then raw_record end'},
        ) }},
        coalesce(rejected_reason, repair_reasons) as quarantine_reason,
        case
            when rejected_reason is not null then 'rejected'
            when repair_reasons is not null then 'repaired'
        end as quarantine_action,
        rejected_reason is null as is_clean,
        case when rejected_reason = 'orphan_foreign_key' then orphan_parent_key end as parent_key,
        case when rejected_reason = 'orphan_foreign_key' then orphan_parent_reason end as parent_reason
    from verdicts

)

select * from final
{%- endmacro %}
