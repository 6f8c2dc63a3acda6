-- hmac_sha256() against RFC 4231 test cases 2 (short key) and 6 (131-byte key, hashed first).
with

rfc_4231_cases as (

    select
        2 as test_case,
        hex('Jefe') as key_hex,
        'what do ya want for nothing?' as message,
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' as expected
    union all
    select
        6 as test_case,
        repeat('aa', 131) as key_hex,
        'Test Using Larger Than Block-Size Key - Hash Key First' as message,
        '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54' as expected

),

computed as (

    select
        *,
        {{ hmac_sha256('key_hex', 'message') }} as actual
    from rfc_4231_cases

)

select * from computed
where actual is distinct from expected
