with

districts as (

    {{ clean_rows('int_districts_validated') }}

),

final as (

    select
        -- ids
        district_id,

        -- names
        district_name,
        region,

        -- population
        inhabitants,
        n_municipalities_lt_500,
        n_municipalities_500_1999,
        n_municipalities_2000_9999,
        n_municipalities_ge_10000,
        n_cities,
        urban_ratio_pct,

        -- economy
        avg_salary,
        unemployment_rate_1995,
        unemployment_rate_1996,
        entrepreneurs_per_1000,
        crimes_1995,
        crimes_1996,
        1000.0 * crimes_1996 / nullif(inhabitants, 0) as crimes_per_1000_1996
    from districts

)

select * from final
