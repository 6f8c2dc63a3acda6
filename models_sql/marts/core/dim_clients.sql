with

clients as (

    {{ clean_rows('int_clients_validated') }}

),

dispositions as (

    {{ clean_rows('int_dispositions_validated') }}

),

cards as (

    {{ clean_rows('int_cards_validated') }}

),

dispositions_summarised as (

    select
        dispositions.client_key,
        count(*) filter (where dispositions.disposition_type = 'OWNER') as n_accounts_owned,
        count(*) filter (where dispositions.disposition_type = 'DISPONENT') as n_accounts_authorised,
        count(cards.card_id) as n_cards,
        min(cards.issued_date) as first_card_issued_date
    from dispositions
    left join cards
        on dispositions.disp_id = cards.disp_id
    group by dispositions.client_key

),

final as (

    select
        -- ids
        clients.client_key,
        clients.district_id,

        -- person
        clients.gender,
        clients.birth_year,
        clients.age_at_data_end,
        clients.age_band_at_data_end,

        -- relationship with the bank
        coalesce(dispositions_summarised.n_accounts_owned, 0) as n_accounts_owned,
        coalesce(dispositions_summarised.n_accounts_authorised, 0) as n_accounts_authorised,
        coalesce(dispositions_summarised.n_cards, 0) as n_cards,
        coalesce(dispositions_summarised.n_cards, 0) > 0 as has_card,
        dispositions_summarised.first_card_issued_date
    from clients
    left join dispositions_summarised
        on clients.client_key = dispositions_summarised.client_key

)

select * from final
