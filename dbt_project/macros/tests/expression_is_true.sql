{#- Rows for which the SQL expression is not true (NULL fails), optionally only where `where_clause` holds. -#}
{% test expression_is_true(model, expression, where_clause=none) %}
select *
from {{ model }}
where
    not coalesce(({{ expression }}), false)
    {%- if where_clause %}
        and ({{ where_clause }})
    {%- endif %}
{% endtest %}
