{#-
    One row per clean account with its owner (the OWNER disposition's
    client) and the counts of its dispositions. Birth dates stay in the
    intermediate layer: marts get ages, not dates of birth.
-#}
with

accounts as (

    {{ clean_rows('int_accounts_validated') }}

),

dispositions as (

    {{ clean_rows('int_dispositions_validated') }}

),

clients as (

    {{ clean_rows('int_clients_validated') }}

),

dispositions_counted as (

    select
        account_id,
        count(*) as n_dispositions,
        count(*) filter (where disposition_type = 'DISPONENT') as n_disponents
    from dispositions
    group by account_id

),

owner_dispositions_ranked as (

    select
        dispositions.account_id,
        dispositions.disp_id as owner_disp_id,
        dispositions.client_key as owner_client_key,
        clients.gender as owner_gender,
        clients.birth_date as owner_birth_date,
        clients.district_id as owner_district_id,
        row_number() over (partition by dispositions.account_id order by dispositions.disp_id) as owner_rank
    from dispositions
    left join clients
        on dispositions.client_key = clients.client_key
    where dispositions.disposition_type = 'OWNER'

),

owners as (

    -- one owner per account; should the data hold two, keep the first disposition
    -- (a filter on the ranked rows, not QUALIFY: Spark SQL has no QUALIFY)
    select
        account_id,
        owner_disp_id,
        owner_client_key,
        owner_gender,
        owner_birth_date,
        owner_district_id
    from owner_dispositions_ranked
    where owner_rank = 1

),

final as (

    select
        -- ids
        accounts.account_id,
        accounts.district_id,
        owners.owner_disp_id,
        owners.owner_client_key,

        -- account
        accounts.statement_frequency,
        accounts.opened_date,
        coalesce(dispositions_counted.n_dispositions, 0) as n_dispositions,
        coalesce(dispositions_counted.n_disponents, 0) as n_disponents,

        -- owner
        owners.owner_gender,
        owners.owner_birth_date,
        owners.owner_district_id
    from accounts
    left join owners
        on accounts.account_id = owners.account_id
    left join dispositions_counted
        on accounts.account_id = dispositions_counted.account_id

)

select * from final
