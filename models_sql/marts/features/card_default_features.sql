with

card_clients as (

    {{ clean_rows('int_credit_card_clients_validated') }}

),

final as (

    select
        -- ids and target
        card_client_id,
        is_default,

        -- credit and person
        credit_limit,
        sex,
        education,
        education_is_undocumented,
        marital_status,
        marital_is_undocumented,
        age,
        age_band,

        -- repayment status, m1 = September 2005 ... m6 = April 2005
        {%- for m in range(1, 7) %}
        repay_status_m{{ m }},
        {%- endfor %}

        -- bill amounts
        {%- for m in range(1, 7) %}
        bill_amount_m{{ m }},
        {%- endfor %}

        -- amounts paid
        {%- for m in range(1, 7) %}
        paid_amount_m{{ m }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from card_clients

)

select * from final
