{#-
    The HMAC key for client pseudonyms: `LEDGERLAB_PSEUDONYM_KEY`, or the
    development default (the same string as ledgerlab/config.py
    DEV_PSEUDONYM_KEY), which `warn_if_dev_pseudonym_key` reports on every run.
-#}
{% macro dev_pseudonym_key() -%}
    {{ return('ledgerlab-DEVELOPMENT-ONLY-key-not-for-production') }}
{%- endmacro %}

{% macro pseudonym_key() -%}
    {{ return(env_var('LEDGERLAB_PSEUDONYM_KEY', '') or ledgerlab.dev_pseudonym_key()) }}
{%- endmacro %}
