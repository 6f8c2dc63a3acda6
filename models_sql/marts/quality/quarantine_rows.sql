{#-
    Nothing lost: every raw row that staging rejected or repaired, with the
    raw values, plus the lines ingestion could not parse. A row repaired in
    more than one way has one row per repair; a rejected row has one row
    with its decisive reason.
-#}
{#- Every raw table whose sources file declares `config.meta.quarantine_model`
    (the list is generated from those files: ledgerlab/sources.py). -#}
{%- set validated_sources = ledgerlab_quarantine_models() -%}
with
{% for source_table, model in validated_sources %}
{{ source_table }}_quarantined as (

    select
        '{{ source_table }}' as source_table,
        _source_file as source_file,
        _source_line as source_line,
        {{ split_to_rows('quarantine_reason', ',') }} as reason,
        quarantine_action as action,
        raw_record,
        parent_key,
        parent_reason
    from {{ ref(model) }}
    where quarantine_action is not null

),
{% endfor %}
unparseable_lines as (

    select
        source_table,
        source_file,
        line as source_line,
        'unparseable_line' as reason,
        'rejected' as action,
        {{ raw_record_json(['raw_line', 'error_type'], {'raw_line':
            "case when source_table = 'client' then "
            ~ regexp_replace_all('raw_line', "'[0-9]{6}'", "'<removed>'") ~ " else raw_line end"}) }} as raw_record,
        cast(null as {{ type_text() }}) as parent_key,
        cast(null as {{ type_text() }}) as parent_reason
    from {{ source('ingestion', '_rejected_lines') }}

),

unioned as (
    {% for source_table, model in validated_sources %}
    select * from {{ source_table }}_quarantined
    union all
    {%- endfor %}
    select * from unparseable_lines

),

final as (

    select
        -- where
        source_table,
        source_file,
        cast(source_line as bigint) as source_line,

        -- why
        reason,
        action,

        -- what
        raw_record,

        -- whose fault (orphans: the parent without a clean row, and why)
        parent_key,
        parent_reason
    from unioned

)

select * from final
