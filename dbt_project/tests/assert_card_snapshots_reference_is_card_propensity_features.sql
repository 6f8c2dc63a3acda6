-- The `reference` snapshot of card_propensity_snapshots holds the rows of card_propensity_features:
-- the same dispositions, targets and features (doubles to 1e-9 relative: DuckDB's parallel
-- aggregates may sum in another order), so adding snapshots left the development rows alone.
with

features as (

    select * from {{ ref('card_propensity_features') }}

),

reference_snapshot as (

    select * from {{ ref('card_propensity_snapshots') }}
    where snapshot = 'reference'

),

compared as (

    select
        coalesce(features.disp_id, reference_snapshot.disp_id) as disp_id,
        features.disp_id is null as only_in_snapshot,
        reference_snapshot.disp_id is null as only_in_features,
        (
            (features.took_card is distinct from reference_snapshot.took_card)
            or (features.reference_date is distinct from reference_snapshot.reference_date)
            or (features.account_id is distinct from reference_snapshot.account_id)
            or (features.history_months is distinct from reference_snapshot.history_months)
            or (features.n_transactions is distinct from reference_snapshot.n_transactions)
            or (features.logins_last_90d is distinct from reference_snapshot.logins_last_90d)
            or abs(features.mean_monthly_inflow - reference_snapshot.mean_monthly_inflow)
            > 1e-9 * (1 + abs(features.mean_monthly_inflow))
            or abs(features.std_monthly_inflow - reference_snapshot.std_monthly_inflow)
            > 1e-9 * (1 + abs(features.std_monthly_inflow))
            or abs(features.mean_balance - reference_snapshot.mean_balance)
            > 1e-9 * (1 + abs(features.mean_balance))
        ) as values_differ
    from features
    full outer join reference_snapshot
        on features.disp_id = reference_snapshot.disp_id

),

final as (

    select * from compared
    where only_in_snapshot or only_in_features or values_differ

)

select * from final
