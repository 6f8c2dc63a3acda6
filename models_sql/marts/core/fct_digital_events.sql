with

events as (

    {{ clean_rows('int_events_validated') }}

),

final as (

    select
        -- ids
        event_id,
        client_key,
        session_id,

        -- event
        event_at,
        event_date,
        event_type,
        channel,
        amount,
        schema_version,

        -- device and place
        device_os,
        device_app_version,
        geo_country,
        geo_city,

        -- lineage and quality
        is_repaired,
        _source_file,
        _source_line
    from events

)

select * from final
