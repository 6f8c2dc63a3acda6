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
