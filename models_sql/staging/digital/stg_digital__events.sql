{#-
    One row per line of digital_events.jsonl. Schema v1 has `ts`; v2 (from
    1997-07-01) renames it `event_time` and adds `session_id`: both map to
    one shape, with the nested device and geo objects as columns. Lines that
    are not a JSON object are kept and flagged `malformed_json`.
-#}
{%- set event = "case when is_json_object then raw_line end" -%}
with

source as (

    select * from {{ source('digital', 'digital_events') }}

),

parsed as (

    select
        raw_line,
        {{ is_valid_json_object('raw_line') }} as is_json_object,
        _source_file,
        _source_line,
        _loaded_at
    from source

),

fields_extracted as (

    -- one JSON parse per line for all the fields (a call per field would parse it 13 times)
    select
        {{ json_extract_texts(event, [
            '$.event_id', '$.client_id', '$.session_id', '$.schema_version',
            '$.event_time', '$.ts', '$.event_type', '$.channel', '$.amount',
            '$.device.os', '$.device.app_version', '$.geo.country', '$.geo.city',
        ]) }} as fields,
        raw_line,
        is_json_object,
        _source_file,
        _source_line,
        _loaded_at
    from parsed

),

extracted as (

    select
        -- ids
        fields[1] as event_id_text,
        fields[2] as client_id_text,
        fields[3] as session_id,
        fields[4] as schema_version_text,

        -- event: v2 `event_time`, v1 `ts`
        coalesce(fields[5], fields[6]) as event_time_text,
        fields[7] as event_type_text,
        fields[8] as channel_text,
        fields[9] as amount_text,

        -- nested objects
        fields[10] as device_os,
        fields[11] as device_app_version,
        fields[12] as geo_country,
        fields[13] as geo_city,

        raw_line,
        is_json_object,
        _source_file,
        _source_line,
        _loaded_at
    from fields_extracted

),

decoded as (

    select
        -- ids
        nullif(trim(event_id_text), '') as event_id,
        {{ pseudonymize(parse_id('client_id_text')) }} as client_key,
        nullif(trim(session_id), '') as session_id,
        {{ safe_cast('schema_version_text', 'integer') }} as schema_version,

        -- event
        {{ safe_cast('event_time_text', 'timestamp') }} as event_at,
        cast({{ safe_cast('event_time_text', 'timestamp') }} as date) as event_date,
        {{ clean_code('event_type_text', 'lower') }} as event_type,
        {{ clean_code('channel_text', 'lower') }} as channel,
        {{ parse_amount('amount_text', 'double') }} as amount,

        -- device and place
        nullif(trim(device_os), '') as device_os,
        nullif(trim(device_app_version), '') as device_app_version,
        nullif(trim(geo_country), '') as geo_country,
        nullif(trim(geo_city), '') as geo_city,

        -- quality
        {{ flag_reasons([
            ['malformed_json', 'not is_json_object'],
            ['null_key', is_blank('event_id_text') ~ ' or ' ~ is_null_key(['client_id_text'])],
            ['malformed_date', safe_cast('event_time_text', 'timestamp') ~ ' is null'],
            ['out_of_domain_code',
                "coalesce(" ~ clean_code('event_type_text', 'lower') ~ " not in ('login', 'payment_initiated',"
                ~ " 'card_block', 'limit_change', 'password_reset', 'statement_view'), true)"
                ~ " or coalesce(" ~ clean_code('channel_text', 'lower') ~ " not in ('web', 'mobile'), true)"
                ~ " or coalesce(" ~ safe_cast('schema_version_text', 'integer') ~ " not in (1, 2), true)"],
            ['impossible_amount', "(amount_text is not null and coalesce("
                ~ parse_amount('amount_text', 'double') ~ " <= 0, true))"
                ~ " or " ~ is_implausible('digital_events')],
            ['date_after_end', is_after_data_end("cast(" ~ safe_cast('event_time_text', 'timestamp') ~ " as date)")],
            ['oversized_field', is_oversized_field('digital_events', ['raw_line'])],
        ]) }} as rejection_reasons,
        {{ flag_reasons([
            ['comma_decimal', is_comma_decimal('amount_text')],
            ['untrimmed_code', is_untrimmed_code('event_type_text') ~ ' or ' ~ is_untrimmed_code('channel_text')],
            ['wrong_case_code', is_wrong_case_code('event_type_text', 'lower')
                ~ ' or ' ~ is_wrong_case_code('channel_text', 'lower')],
        ]) }} as repair_reasons,
        {{ row_fingerprint(['raw_line']) }} as row_fingerprint,
        -- the raw line with its client id replaced by the pseudonym
        {{ raw_record_json(['raw_line'], {'raw_line':
            "case when is_json_object and client_id_text is not null then "
            ~ json_set_key('raw_line', 'client_id', pseudonymize(parse_id('client_id_text')))
            ~ " else " ~ regexp_replace_all('raw_line', "'(\"client_id\"\\s*:\\s*)(\"[^\"]*\"|[0-9]+)'",
                "'\\1\"<removed>\"'") ~ " end"}) }} as raw_record,

        -- lineage
        _source_file,
        _source_line,
        _loaded_at

    from extracted

),

final as (

    select
        *,
        {{ quality_flag_columns() }}
    from decoded

)

select * from final
