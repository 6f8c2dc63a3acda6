{#-
    The development default HMAC key for client pseudonyms: the same string
    as ledgerlab/config.py DEV_PSEUDONYM_KEY. `warn_if_dev_pseudonym_key`
    reports its use on every run.
-#}
{% macro dev_pseudonym_key() -%}
    {{ return('ledgerlab-DEVELOPMENT-ONLY-key-not-for-production') }}
{%- endmacro %}
