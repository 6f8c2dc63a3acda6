with

source as (

    select * from {{ source('berka', 'order') }}

),

decoded as (

    select
        -- ids
        {{ parse_id('order_id') }} as order_id,
        {{ parse_id('account_id') }} as account_id,

        -- recipient
        {{ clean_code('bank_to') }} as recipient_bank,
        nullif(trim(account_to), '') as recipient_account,

        -- amounts
        {{ parse_amount('amount') }} as amount,

        -- codes
        {{ clean_code('k_symbol') }} as k_symbol_code,
        {{ decode_k_symbol(clean_code('k_symbol')) }} as payment_purpose,

        -- quality
        {{ flag_reasons([
            ['null_key', is_null_key(['order_id', 'account_id'])],
            ['out_of_domain_code', "coalesce(" ~ clean_code('k_symbol')
                ~ " not in ('POJISTNE', 'SIPO', 'LEASING', 'UVER'), false)"],
            ['impossible_amount', "coalesce(" ~ parse_amount('amount') ~ " <= 0, true)"
                ~ " or " ~ is_implausible('order')],
            ['oversized_field', is_oversized_field('order', ['order_id', 'account_id', 'bank_to', 'account_to', 'amount', 'k_symbol'])],
        ]) }} as rejection_reasons,
        {{ flag_reasons([
            ['comma_decimal', is_comma_decimal('amount')],
            ['untrimmed_code', is_untrimmed_code('k_symbol')],
            ['wrong_case_code', is_wrong_case_code('k_symbol')],
        ]) }} as repair_reasons,
        {{ row_fingerprint(['order_id', 'account_id', 'bank_to', 'account_to', 'amount', 'k_symbol']) }}
            as row_fingerprint,
        {{ raw_record_json(['order_id', 'account_id', 'bank_to', 'account_to', 'amount', 'k_symbol']) }}
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
