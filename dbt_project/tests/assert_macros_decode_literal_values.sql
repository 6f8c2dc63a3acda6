-- The decoding macros over literal rows: every row whose decoded value differs from the expected one fails.
with

cases as (

    select * from (values
        ('930101', date '1993-01-01', '706213', 'F', date '1970-12-13'),
        ('971229', date '1997-12-29', '450204', 'M', date '1945-02-04'),
        ('931107 00:00:00', date '1993-11-07', '115101', 'F', date '1911-01-01'),
        ('930231', null, '706313', null, null),
        ('93x101', null, '7a0101', null, null),
        ('', null, '', null, null)
    ) as literal_rows (yymmdd_text, expected_date, birth_number, expected_gender, expected_birth_date)

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
