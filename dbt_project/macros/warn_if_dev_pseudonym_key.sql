{#- on-run-start hook: say loudly when client pseudonyms use the development key. -#}
{% macro warn_if_dev_pseudonym_key() -%}
    {%- if execute and ledgerlab.pseudonym_key() == ledgerlab.dev_pseudonym_key() -%}
        {{ log(
            "WARNING: LEDGERLAB_PSEUDONYM_KEY is not set: client_key pseudonyms use the "
            ~ "development-only key. Never publish or share data built this way; "
            ~ "set LEDGERLAB_PSEUDONYM_KEY for production runs.",
            info=true
        ) }}
    {%- endif -%}
    select 1 as pseudonym_key_checked
{%- endmacro %}
