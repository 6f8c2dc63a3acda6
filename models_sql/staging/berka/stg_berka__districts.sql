{#- `?` marks a missing value (district 69, A12 and A15): it becomes NULL, not a rejection. -#}
{%- set raw_columns = [] -%}
{%- for i in range(1, 17) %}{% do raw_columns.append('a' ~ i) %}{% endfor -%}
with

source as (

    select * from {{ source('berka', 'district') }}

),

decoded as (

    select
        -- ids
        {{ parse_id('a1') }} as district_id,

        -- names
        trim(a2) as district_name,
        trim(a3) as region,

        -- population
        {{ safe_cast("nullif(trim(a4), '?')", 'bigint') }} as inhabitants,
        {{ safe_cast("nullif(trim(a5), '?')", 'integer') }} as n_municipalities_lt_500,
        {{ safe_cast("nullif(trim(a6), '?')", 'integer') }} as n_municipalities_500_1999,
        {{ safe_cast("nullif(trim(a7), '?')", 'integer') }} as n_municipalities_2000_9999,
        {{ safe_cast("nullif(trim(a8), '?')", 'integer') }} as n_municipalities_ge_10000,
        {{ safe_cast("nullif(trim(a9), '?')", 'integer') }} as n_cities,
        {{ parse_amount("nullif(a10, '?')", 'double') }} as urban_ratio_pct,

        -- economy
        {{ parse_amount("nullif(a11, '?')", 'double') }} as avg_salary,
        {{ parse_amount("nullif(a12, '?')", 'double') }} as unemployment_rate_1995,
        {{ parse_amount("nullif(a13, '?')", 'double') }} as unemployment_rate_1996,
        {{ safe_cast("nullif(trim(a14), '?')", 'integer') }} as entrepreneurs_per_1000,
        {{ safe_cast("nullif(trim(a15), '?')", 'bigint') }} as crimes_1995,
        {{ safe_cast("nullif(trim(a16), '?')", 'bigint') }} as crimes_1996,

        -- quality
        {{ flag_reasons([
            ['null_key', is_null_key(['a1'])],
            ['oversized_field', is_oversized_field('district', raw_columns)],
        ]) }} as rejection_reasons,
        {{ flag_reasons([
            ['comma_decimal', is_comma_decimal('a10') ~ ' or ' ~ is_comma_decimal('a11')
                ~ ' or ' ~ is_comma_decimal('a12') ~ ' or ' ~ is_comma_decimal('a13')],
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
