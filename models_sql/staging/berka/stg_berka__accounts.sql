with

source as (

    select * from {{ source('berka', 'account') }}

),

decoded as (

    select
        -- ids
        {{ parse_id('account_id') }} as account_id,
        {{ parse_id('district_id') }} as district_id,

        -- codes
        {{ clean_code('frequency') }} as frequency_code,
        case {{ clean_code('frequency') }}
            when 'POPLATEK MESICNE' then 'monthly'
            when 'POPLATEK TYDNE' then 'weekly'
            when 'POPLATEK PO OBRATU' then 'after_transaction'
        end as statement_frequency,

        -- dates
        {{ parse_yymmdd('date') }} as opened_date,

        -- quality
        {{ flag_reasons([
            ['null_key', is_null_key(['account_id', 'district_id'])],
            ['malformed_date', is_malformed_yymmdd('date')],
            ['out_of_domain_code', "coalesce(" ~ clean_code('frequency')
                ~ " not in ('POPLATEK MESICNE', 'POPLATEK TYDNE', 'POPLATEK PO OBRATU'), true)"],
            ['date_after_end', is_after_data_end(parse_yymmdd('date'))],
            ['oversized_field', is_oversized_field('account', ['account_id', 'district_id', 'frequency', 'date'])],
        ]) }} as rejection_reasons,
        {{ flag_reasons([
            ['untrimmed_code', is_untrimmed_code('frequency')],
            ['wrong_case_code', is_wrong_case_code('frequency')],
        ]) }} as repair_reasons,
        {{ row_fingerprint(['account_id', 'district_id', 'frequency', 'date']) }} as row_fingerprint,
        {{ raw_record_json(['account_id', 'district_id', 'frequency', 'date']) }} as raw_record,

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
