with

source as (

    select * from {{ source('berka', 'loan') }}

),

decoded as (

    select
        -- ids
        {{ parse_id('loan_id') }} as loan_id,
        {{ parse_id('account_id') }} as account_id,

        -- dates
        {{ parse_yymmdd('date') }} as loan_date,

        -- terms
        {{ parse_amount('amount') }} as loan_amount,
        {{ safe_cast(safe_cast("trim(duration)", 'double'), 'integer') }} as loan_duration_months,
        {{ parse_amount('payments') }} as monthly_payment,

        -- status
        {{ clean_code('status') }} as loan_status,
        case {{ clean_code('status') }}
            when 'A' then 'finished_paid'
            when 'B' then 'finished_unpaid'
            when 'C' then 'running_ok'
            when 'D' then 'running_in_debt'
        end as loan_status_description,
        {{ clean_code('status') }} in ('B', 'D') as is_default,

        -- quality
        {{ flag_reasons([
            ['null_key', is_null_key(['loan_id', 'account_id'])],
            ['malformed_date', is_malformed_yymmdd('date')],
            ['out_of_domain_code', "coalesce(" ~ clean_code('status') ~ " not in ('A', 'B', 'C', 'D'), true)"],
            ['impossible_amount', "coalesce(" ~ parse_amount('amount') ~ " <= 0, true)"
                ~ " or coalesce(" ~ parse_amount('payments') ~ " <= 0, true)"
                ~ " or coalesce(" ~ safe_cast("trim(duration)", 'double') ~ " <= 0, true)"
                ~ " or " ~ is_implausible('loan')],
            ['date_after_end', is_after_data_end(parse_yymmdd('date'))],
            ['oversized_field', is_oversized_field('loan', ['loan_id', 'account_id', 'date', 'amount', 'duration', 'payments', 'status'])],
        ]) }} as rejection_reasons,
        {{ flag_reasons([
            ['comma_decimal', is_comma_decimal('amount') ~ ' or ' ~ is_comma_decimal('payments')],
            ['untrimmed_code', is_untrimmed_code('status')],
            ['wrong_case_code', is_wrong_case_code('status')],
        ]) }} as repair_reasons,
        {{ row_fingerprint(['loan_id', 'account_id', 'date', 'amount', 'duration', 'payments', 'status']) }}
            as row_fingerprint,
        {{ raw_record_json(['loan_id', 'account_id', 'date', 'amount', 'duration', 'payments', 'status']) }}
            as raw_record,

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
