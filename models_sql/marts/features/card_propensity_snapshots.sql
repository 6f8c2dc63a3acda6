with

features as (

    select * from {{ ref('int_feature_spines_enriched') }}
    where spine_type in ('card_propensity_prior', 'card_propensity', 'card_propensity_current')

),

final as (

    select
        -- disposition
        spine_key as disp_id,
        account_id,
        as_of_date as reference_date,
        case spine_type
            when 'card_propensity_prior' then 'prior'
            when 'card_propensity' then 'reference'
            else 'current'
        end as snapshot,
        took_card,

        {{ card_propensity_feature_columns() }}
    from features

)

select * from final
