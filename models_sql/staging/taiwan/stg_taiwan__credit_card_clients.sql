{#-
    UCI "default of credit card clients" (Taiwan, 2005). Amounts may be in
    scientific notation (`1.00E+05`): read as double. Undocumented codes
    (education 0/5/6, marital status 0) are kept as 'other' with a flag.
    Months: m1 = September 2005 ... m6 = April 2005.
-#}
{%- set raw_columns = ['id'] -%}
{%- for i in range(1, 24) %}{% do raw_columns.append('x' ~ i) %}{% endfor -%}
{%- do raw_columns.append('y') -%}
{%- set code = "safe_cast(safe_cast(trim(col), 'double'), 'integer')" -%}
with

source as (

    select * from {{ source('taiwan', 'taiwan_credit_card') }}

),

decoded as (

    select
        -- ids
        {{ parse_id('id') }} as card_client_id,

        -- person
        case {{ safe_cast(safe_cast('trim(x2)', 'double'), 'integer') }}
            when 1 then 'M'
            when 2 then 'F'
        end as sex,
        case {{ safe_cast(safe_cast('trim(x3)', 'double'), 'integer') }}
            when 1 then 'graduate_school'
            when 2 then 'university'
            when 3 then 'high_school'
            when 4 then 'other'
            when 0 then 'other'
            when 5 then 'other'
            when 6 then 'other'
        end as education,
        coalesce({{ safe_cast(safe_cast('trim(x3)', 'double'), 'integer') }} in (0, 5, 6), false)
            as education_is_undocumented,
        case {{ safe_cast(safe_cast('trim(x4)', 'double'), 'integer') }}
            when 1 then 'married'
            when 2 then 'single'
            when 3 then 'other'
            when 0 then 'other'
        end as marital_status,
        coalesce({{ safe_cast(safe_cast('trim(x4)', 'double'), 'integer') }} = 0, false) as marital_is_undocumented,
        {{ safe_cast(safe_cast('trim(x5)', 'double'), 'integer') }} as age,
        {{ age_band(safe_cast(safe_cast('trim(x5)', 'double'), 'integer')) }} as age_band,

        -- credit
        {{ parse_amount('x1', 'double') }} as credit_limit,

        -- repayment status, m1 = September 2005 ... m6 = April 2005
        {%- for m in range(1, 7) %}
        {{ safe_cast(safe_cast('trim(x' ~ (m + 5) ~ ')', 'double'), 'integer') }} as repay_status_m{{ m }},
        {%- endfor %}

        -- bill amounts
        {%- for m in range(1, 7) %}
        {{ parse_amount('x' ~ (m + 11), 'double') }} as bill_amount_m{{ m }},
        {%- endfor %}

        -- amounts paid
        {%- for m in range(1, 7) %}
        {{ parse_amount('x' ~ (m + 17), 'double') }} as paid_amount_m{{ m }},
        {%- endfor %}

        -- target: default payment next month (October 2005)
        {{ safe_cast(safe_cast('trim(y)', 'double'), 'integer') }} = 1 as is_default,

        -- quality
        {{ flag_reasons([
            ['null_key', is_null_key(['id'])],
            ['out_of_domain_code',
                "coalesce(" ~ safe_cast(safe_cast('trim(x2)', 'double'), 'integer') ~ " not in (1, 2), true)"
                ~ " or coalesce(" ~ safe_cast(safe_cast('trim(x3)', 'double'), 'integer') ~ " not between 0 and 6, true)"
                ~ " or coalesce(" ~ safe_cast(safe_cast('trim(x4)', 'double'), 'integer') ~ " not between 0 and 3, true)"
                ~ " or coalesce(" ~ safe_cast(safe_cast('trim(y)', 'double'), 'integer') ~ " not in (0, 1), true)"
                ~ " or coalesce(" ~ safe_cast(safe_cast('trim(x5)', 'double'), 'integer') ~ " not between 18 and 120, true)"],
            ['impossible_amount', "coalesce(" ~ parse_amount('x1', 'double') ~ " <= 0, true)"
                ~ " or " ~ is_unparseable_number('x12') ~ " or " ~ is_unparseable_number('x13')
                ~ " or " ~ is_unparseable_number('x14') ~ " or " ~ is_unparseable_number('x15')
                ~ " or " ~ is_unparseable_number('x16') ~ " or " ~ is_unparseable_number('x17')
                ~ " or coalesce(least(" ~ parse_amount('x18', 'double') ~ ", " ~ parse_amount('x19', 'double')
                ~ ", " ~ parse_amount('x20', 'double') ~ ", " ~ parse_amount('x21', 'double')
                ~ ", " ~ parse_amount('x22', 'double') ~ ", " ~ parse_amount('x23', 'double') ~ ") < 0, false)"
                ~ " or " ~ is_implausible('taiwan_credit_card')],
            ['oversized_field', is_oversized_field('taiwan_credit_card', raw_columns)],
        ]) }} as rejection_reasons,
        cast(null as {{ type_text() }}) as repair_reasons,
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
