-- The decoding macros over literal rows: every row whose decoded value differs from the expected one fails.
with

cases as (

    select
        '930101' as yymmdd_text,
        date '1993-01-01' as expected_date,
        '706213' as birth_number,
        'F' as expected_gender,
        date '1970-12-13' as expected_birth_date
    union all
    select
        '971229' as yymmdd_text,
        date '1997-12-29' as expected_date,
        '450204' as birth_number,
        'M' as expected_gender,
        date '1945-02-04' as expected_birth_date
    union all
    select
        '931107 00:00:00' as yymmdd_text,
        date '1993-11-07' as expected_date,
        '115101' as birth_number,
        'F' as expected_gender,
        date '1911-01-01' as expected_birth_date
    union all
    select
        '930231' as yymmdd_text,
        cast(null as date) as expected_date,
        '706313' as birth_number,
        null as expected_gender,
        cast(null as date) as expected_birth_date
    union all
    select
        '93x101' as yymmdd_text,
        cast(null as date) as expected_date,
        '7a0101' as birth_number,
        null as expected_gender,
        cast(null as date) as expected_birth_date
    union all
    select
        '' as yymmdd_text,
        cast(null as date) as expected_date,
        '' as birth_number,
        null as expected_gender,
        cast(null as date) as expected_birth_date

),

decoded as (

    select
        *,
        {{ parse_yymmdd('yymmdd_text') }} as actual_date,
        {{ decode_birth_number('birth_number', 'gender') }} as actual_gender,
        {{ decode_birth_number('birth_number', 'birth_date') }} as actual_birth_date,
        {{ age_band(age_in_years(decode_birth_number('birth_number', 'birth_date'), "date '1998-12-31'")) }}
            as actual_age_band
    from cases

)

select *
from decoded
where
    actual_date is distinct from expected_date
    or actual_gender is distinct from expected_gender
    or actual_birth_date is distinct from expected_birth_date
