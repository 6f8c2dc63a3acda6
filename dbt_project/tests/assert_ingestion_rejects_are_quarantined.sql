-- Every line ingestion could not parse is in quarantine_rows as unparseable_line.
with

rejected_lines as (

    select
        source_table,
        source_file,
        line
    from {{ source('ingestion', '_rejected_lines') }}

),

quarantined as (

    select
        source_table,
        source_file,
        source_line
    from {{ ref('quarantine_rows') }}
    where reason = 'unparseable_line'

)

select rejected_lines.*
from rejected_lines
left join quarantined
    on
        rejected_lines.source_table = quarantined.source_table
        and rejected_lines.source_file = quarantined.source_file
        and rejected_lines.line = quarantined.source_line
where quarantined.source_line is null
