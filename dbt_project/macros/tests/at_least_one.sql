{#- Fails when the column has no non-NULL value at all (an empty or all-NULL column). -#}
{% test at_least_one(model, column_name) %}
select count({{ column_name }}) as n_values
from {{ model }}
having count({{ column_name }}) = 0
{% endtest %}
