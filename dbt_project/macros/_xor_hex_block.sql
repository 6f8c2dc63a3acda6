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
