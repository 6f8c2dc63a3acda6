with

source as (

    select * from {{ source('berka', 'disp') }}

),

decoded as (

    select
        -- ids
        {{ parse_id('disp_id') }} as disp_id,
        {{ pseudonymize(parse_id('client_id')) }} as client_key,
        {{ parse_id('account_id') }} as account_id,

        -- codes
        case {{ clean_code('type') }}
            when 'OWNER' then 'OWNER'
            when 'DISPONENT' then 'DISPONENT'
        end as disposition_type,
        {{ clean_code('type') }} = 'OWNER' as is_owner,

        -- quality
        {{ flag_reasons([
            ['null_key', is_null_key(['disp_id', 'client_id', 'account_id'])],
            ['out_of_domain_code', "coalesce(" ~ clean_code('type') ~ " not in ('OWNER', 'DISPONENT'), true)"],
            ['oversized_field', is_oversized_field('disp', ['disp_id', 'client_id', 'account_id', 'type'])],
        ]) }} as rejection_reasons,
        {{ flag_reasons([
            ['untrimmed_code', is_untrimmed_code('type')],
            ['wrong_case_code', is_wrong_case_code('type')],
        ]) }} as repair_reasons,
        {{ row_fingerprint(['disp_id', 'client_id', 'account_id', 'type']) }} as row_fingerprint,
        {{ raw_record_json(['disp_id', 'client_id', 'account_id', 'type'],
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
