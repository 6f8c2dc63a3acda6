{%- set raw_columns = ['trans_id', 'account_id', 'date', 'type', 'operation', 'amount', 'balance',
    'k_symbol', 'bank', 'account'] -%}
with

source as (

    select * from {{ source('berka', 'trans') }}

),

decoded as (

    select
        -- ids
        {{ parse_id('trans_id') }} as trans_id,
        {{ parse_id('account_id') }} as account_id,

        -- dates
        {{ parse_yymmdd('date') }} as trans_date,
        cast(date_trunc('month', {{ parse_yymmdd('date') }}) as date) as trans_month,

        -- codes
        {{ clean_code('type') }} as trans_type_code,
        case {{ clean_code('type') }}
            when 'PRIJEM' then 'credit'
            when 'VYDAJ' then 'debit'
            -- VYBER (a withdrawal) in the type column is a debit
            when 'VYBER' then 'debit'
        end as direction,
        {{ clean_code('operation') }} as operation_code,
        case {{ clean_code('operation') }}
            when 'VYBER KARTOU' then 'card_withdrawal'
            when 'VKLAD' then 'cash_deposit'
            when 'PREVOD Z UCTU' then 'collection_from_other_bank'
            when 'VYBER' then 'cash_withdrawal'
            when 'PREVOD NA UCET' then 'remittance_to_other_bank'
        end as operation,
        {{ clean_code('k_symbol') }} as k_symbol_code,
        {{ decode_k_symbol(clean_code('k_symbol')) }} as payment_purpose,

        -- amounts
        {{ parse_amount('amount') }} as amount,
        case
            when {{ clean_code('type') }} = 'PRIJEM' then {{ parse_amount('amount') }}
            else -{{ parse_amount('amount') }}
        end as signed_amount,
        {{ parse_amount('balance') }} as balance_after,

        -- counterparty
        {{ clean_code('bank') }} as counterparty_bank,
        nullif(trim(account), '') as counterparty_account,

        -- quality
        {{ flag_reasons([
            ['null_key', is_null_key(['trans_id', 'account_id'])],
            ['malformed_date', is_malformed_yymmdd('date')],
            ['out_of_domain_code',
                "coalesce(" ~ clean_code('type') ~ " not in ('PRIJEM', 'VYDAJ', 'VYBER'), true)"
                ~ " or coalesce(" ~ clean_code('operation')
                ~ " not in ('VYBER KARTOU', 'VKLAD', 'PREVOD Z UCTU', 'VYBER', 'PREVOD NA UCET'), false)"
                ~ " or coalesce(" ~ clean_code('k_symbol') ~ " not in ('POJISTNE', 'SIPO', 'LEASING', 'UVER',"
                ~ " 'SLUZBY', 'UROK', 'SANKC. UROK', 'DUCHOD'), false)"],
            ['impossible_amount', "coalesce(" ~ parse_amount('amount') ~ " <= 0, true)"
                ~ " or " ~ is_unparseable_number('balance') ~ " or " ~ is_blank('balance')
                ~ " or " ~ is_implausible('trans')],
            ['date_after_end', is_after_data_end(parse_yymmdd('date'))],
            ['oversized_field', is_oversized_field('trans', raw_columns)],
        ]) }} as rejection_reasons,
        {{ flag_reasons([
            ['comma_decimal', is_comma_decimal('amount') ~ ' or ' ~ is_comma_decimal('balance')],
            ['untrimmed_code', is_untrimmed_code('type') ~ ' or ' ~ is_untrimmed_code('operation')
                ~ ' or ' ~ is_untrimmed_code('k_symbol')],
            ['wrong_case_code', is_wrong_case_code('type') ~ ' or ' ~ is_wrong_case_code('operation')
                ~ ' or ' ~ is_wrong_case_code('k_symbol')],
        ]) }} as repair_reasons,
        {{ row_fingerprint(raw_columns) }} as row_fingerprint,
        {{ raw_record_json(raw_columns) }} as raw_record,

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
