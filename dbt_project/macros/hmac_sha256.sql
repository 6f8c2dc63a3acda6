{#-
    HMAC-SHA256 (RFC 2104) of the text `message`, keyed by the bytes whose
    hex is `key_hex` (both SQL expressions), as lowercase hex.
-#}
{% macro hmac_sha256(key_hex, message) -%}
    {{ return(adapter.dispatch('hmac_sha256', 'ledgerlab')(key_hex, message)) }}
{%- endmacro %}

{% macro default__hmac_sha256(key_hex, message) -%}
    {{ exceptions.raise_compiler_error(
        "hmac_sha256: no HMAC-SHA256 implementation for adapter " ~ adapter.type()
        ~ "; add a " ~ adapter.type() ~ "__hmac_sha256 macro"
    ) }}
{%- endmacro %}

{#-
    DuckDB 2.0 has sha256 but no hmac function, so HMAC is built from sha256:
    H((K xor opad) || H((K xor ipad) || message)), K = the key zero-padded to
    the 64-byte block (hashed first when longer). The xor runs on the key's
    hex text, 16 bytes at a time, as uhugeint.
-#}
{% macro duckdb__hmac_sha256(key_hex, message) -%}
    {%- set key_block = "rpad(lower(case when length(" ~ key_hex ~ ") > 128 then sha256(unhex(" ~ key_hex
        ~ ")) else " ~ key_hex ~ " end), 128, '0')" -%}
    sha256(unhex(
        {{ ledgerlab._xor_hex_block(key_block, '5c') }}
        || sha256(unhex({{ ledgerlab._xor_hex_block(key_block, '36') }} || hex({{ message }})))
    ))
{%- endmacro %}

{#-
    Spark has sha2 but no hmac function either: the same construction, with
    the xor on the key's hex text 4 bytes at a time, as bigint.
-#}
{% macro spark__hmac_sha256(key_hex, message) -%}
    {%- set key_block = "rpad(lower(case when length(" ~ key_hex ~ ") > 128 then sha2(unhex(" ~ key_hex
        ~ "), 256) else " ~ key_hex ~ " end), 128, '0')" -%}
    sha2(unhex(
        {{ ledgerlab.spark__xor_hex_block(key_block, '5c') }}
        || sha2(unhex({{ ledgerlab.spark__xor_hex_block(key_block, '36') }} || hex({{ message }})), 256)
    ), 256)
{%- endmacro %}

{#- xor a 128-hex-digit (64-byte) block with one repeated byte, as hex text (Spark). -#}
{% macro spark__xor_hex_block(hex_block, pad_byte) -%}
    concat(
    {%- for chunk in range(16) %}
        lpad(lower(conv(cast(
            cast(conv(substring({{ hex_block }}, {{ chunk * 8 + 1 }}, 8), 16, 10) as bigint)
            ^ {{ (pad_byte * 4) | int(base=16) }} as string), 10, 16)), 8, '0'){% if not loop.last %},{% endif %}
    {%- endfor %}
    )
{%- endmacro %}
