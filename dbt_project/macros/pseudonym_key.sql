{#- The HMAC key for client pseudonyms: `LEDGERLAB_PSEUDONYM_KEY`, else the development default. -#}
{% macro pseudonym_key() -%}
    {{ return(env_var('LEDGERLAB_PSEUDONYM_KEY', '') or ledgerlab.dev_pseudonym_key()) }}
{%- endmacro %}
