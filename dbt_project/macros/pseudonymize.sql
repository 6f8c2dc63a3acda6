{#-
    A stable pseudonym for an identifier: lowercase hex HMAC-SHA256 (RFC 2104)
    of the identifier's text, keyed by `pseudonym_key()`. Equal to Python's
    `hmac.new(key.encode(), str(value).encode(), hashlib.sha256).hexdigest()`.
    NULL in, NULL out.
-#}
{% macro pseudonymize(column) -%}
    {%- set key_literal = "'" ~ (ledgerlab.pseudonym_key() | replace("'", "''")) ~ "'" -%}
    case
        when {{ column }} is not null
            then {{ ledgerlab.hmac_sha256("hex(" ~ key_literal ~ ")", "cast(" ~ column ~ " as " ~ ledgerlab.type_text() ~ ")") }}
    end
{%- endmacro %}
