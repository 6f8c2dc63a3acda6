-- hmac_sha256() against RFC 4231 test cases 2 (short key) and 6 (131-byte key, hashed first).
with

rfc_4231_cases as (

    select * from (values
        (2, hex('Jefe'), 'what do ya want for nothing?',
            '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'),
        (6, repeat('aa', 131), 'Test Using Larger Than Block-Size Key - Hash Key First',
            '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54')
    ) as cases (test_case, key_hex, message, expected)

),

computed as (

    select
        *,
        {{ hmac_sha256('key_hex', 'message') }} as actual
    from rfc_4231_cases

)

select * from computed
where actual is distinct from expected
