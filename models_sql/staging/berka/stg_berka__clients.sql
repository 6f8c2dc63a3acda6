{#- The birth number is decoded here and goes no further: not even into raw_record. -#}
with

source as (

    select * from {{ source('berka', 'client') }}

),

decoded as (

    select
        -- ids
        {{ pseudonymize(parse_id('client_id')) }} as client_key,
        {{ parse_id('district_id') }} as district_id,

        -- person, from the birth number
        {{ decode_birth_number('birth_number', 'gender') }} as gender,
        {{ decode_birth_number('birth_number', 'birth_date') }} as birth_date,
        {{ decode_birth_number('birth_number', 'birth_year') }} as birth_year,
        {{ age_in_years(decode_birth_number('birth_number', 'birth_date'),
            "date '" ~ var('data_end_date') ~ "'") }} as age_at_data_end,
        {{ age_band(age_in_years(decode_birth_number('birth_number', 'birth_date'),
            "date '" ~ var('data_end_date') ~ "'")) }} as age_band_at_data_end,

        -- quality
        {{ flag_reasons([
            ['null_key', is_null_key(['client_id', 'district_id'])],
            ['malformed_date', decode_birth_number('birth_number', 'birth_date') ~ ' is null'],
            ['date_after_end', is_after_data_end(decode_birth_number('birth_number', 'birth_date'))],
            ['oversized_field', is_oversized_field('client', ['client_id', 'birth_number', 'district_id'])],
        ]) }} as rejection_reasons,
        cast(null as {{ type_text() }}) as repair_reasons,
        {{ row_fingerprint(['client_id', 'birth_number', 'district_id']) }} as row_fingerprint,
        {{ raw_record_json(['client_id', 'district_id'],
            {'client_id': pseudonymize(parse_id('client_id'))}) }} as raw_record,

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
