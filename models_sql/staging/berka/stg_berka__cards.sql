with

source as (

    select * from {{ source('berka', 'card') }}

),

decoded as (

    select
        -- ids
        {{ parse_id('card_id') }} as card_id,
        {{ parse_id('disp_id') }} as disp_id,

        -- codes (card types are lower case in the source)
        {{ clean_code('type', 'lower') }} as card_type,

        -- dates
        {{ parse_yymmdd('issued') }} as issued_date,

        -- quality
        {{ flag_reasons([
            ['null_key', is_null_key(['card_id', 'disp_id'])],
            ['malformed_date', is_malformed_yymmdd('issued')],
            ['out_of_domain_code', "coalesce(" ~ clean_code('type', 'lower')
                ~ " not in ('junior', 'classic', 'gold'), true)"],
            ['date_after_end', is_after_data_end(parse_yymmdd('issued'))],
            ['oversized_field', is_oversized_field('card', ['card_id', 'disp_id', 'type', 'issued'])],
        ]) }} as rejection_reasons,
        {{ flag_reasons([
            ['untrimmed_code', is_untrimmed_code('type')],
            ['wrong_case_code', is_wrong_case_code('type', 'lower')],
        ]) }} as repair_reasons,
        {{ row_fingerprint(['card_id', 'disp_id', 'type', 'issued']) }} as row_fingerprint,
        {{ raw_record_json(['card_id', 'disp_id', 'type', 'issued']) }} as raw_record,

        -- lineage
        _source_file,
        _source_line,
        _loaded_at

    from source

),

final as (

    select
        *,
        {{ quality_flag_columns() }}
    from decoded

)

select * from final
