{#- Fails (one row) when the model and `compare_model` hold different numbers of rows. -#}
{% test equal_row_count(model, compare_model) %}
with

model_rows as (select count(*) as n from {{ model }}),

compare_rows as (select count(*) as n from {{ compare_model }})

select
    model_rows.n as model_rows,
    compare_rows.n as compare_rows
from model_rows
cross join compare_rows
where model_rows.n <> compare_rows.n
{% endtest %}
