{#- Czech payment purpose (`k_symbol`, already cleaned) to English; NULL when blank or unknown. -#}
{% macro decode_k_symbol(code) -%}
    case {{ code }}
        when 'POJISTNE' then 'insurance'
        when 'SIPO' then 'household'
        when 'LEASING' then 'leasing'
        when 'UVER' then 'loan_payment'
        when 'SLUZBY' then 'statement_fee'
        when 'UROK' then 'interest_credited'
        when 'SANKC. UROK' then 'penalty_interest'
        when 'DUCHOD' then 'pension'
    end
{%- endmacro %}
