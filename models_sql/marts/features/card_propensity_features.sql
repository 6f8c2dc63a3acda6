with

features as (

    select * from {{ ref('int_feature_spines_enriched') }}
    where spine_type = 'card_propensity'

),

final as (

    select
        -- disposition
        spine_key as disp_id,
        account_id,
        as_of_date as reference_date,
        took_card,

        {{ card_propensity_feature_columns() }}
    from features

)

select * from final
