{#-
    The clean rows of a validated model: the one definition of "clean" that
    marts and intermediate models read. A validated model keeps every row
    with its verdict (rejected rows go to quarantine_rows); downstream reads
    only the rows whose verdict is clean.
-#}
{% macro clean_rows(validated_model) -%}
    select * from {{ ref(validated_model) }}
    where is_clean
{%- endmacro %}
