{#-
    A stable pseudonym for an identifier: lowercase hex HMAC-SHA256 (RFC 2104)
    of the identifier's text, keyed by `pseudonym_key()`. Equal to Python's
    `hmac.new(key.encode(), str(value).encode(), hashlib.sha256).hexdigest()`.
    NULL in, NULL out.
-#}
{% macro pseudonymize(column) -%}
    {{ return(adapter.dispatch('pseudonymize', 'ledgerlab')(column)) }}
{%- endmacro %}

{% macro default__pseudonymize(column) -%}
    {{ exceptions.raise_compiler_error(
        "pseudonymize: no HMAC-SHA256 implementation for adapter " ~ adapter.type()
        ~ "; add a " ~ adapter.type() ~ "__pseudonymize macro"
    ) }}
{%- endmacro %}

{#-
    DuckDB 2.0 has sha256 but no hmac function, so HMAC is built from sha256:
    H((K xor opad) || H((K xor ipad) || message)) where K is the key padded
    with zero bytes to the 64-byte block (or hashed first when longer). The
    xor runs on the key's hex text, 16 bytes at a time, as uhugeint.
-#}
{% macro duckdb__pseudonymize(column) -%}
    {%- set key = ledgerlab.pseudonym_key() -%}
    {%- set key_literal = "'" ~ (key | replace("'", "''")) ~ "'" -%}
    {%- set key_block = "rpad(lower(case when octet_length(encode(" ~ key_literal ~ ")) > 64 then sha256("
        ~ key_literal ~ ") else hex(" ~ key_literal ~ ") end), 128, '0')" -%}
    case
        when {{ column }} is not null then sha256(unhex(
            {{ ledgerlab._xor_hex_block(key_block, '5c') }}
            || sha256(unhex(
                {{ ledgerlab._xor_hex_block(key_block, '36') }}
                || hex(cast({{ column }} as varchar))
            ))
        ))
    end
{%- endmacro %}

{#- xor a 128-hex-digit (64-byte) block with one repeated byte, as hex text. -#}
{% macro _xor_hex_block(hex_block, pad_byte) -%}
    (
    {%- for chunk in range(4) %}
        lpad(to_hex(xor(
            cast('0x' || substring({{ hex_block }}, {{ chunk * 32 + 1 }}, 32) as uhugeint),
            cast('0x{{ pad_byte * 16 }}' as uhugeint)
        )), 32, '0'){% if not loop.last %} ||{% endif %}
    {%- endfor %}
    )
{%- endmacro %}
