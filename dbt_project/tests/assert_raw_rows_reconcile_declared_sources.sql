-- Every raw table whose sources file declares a quarantine_model, a user's
-- too: raw rows = clean rows + rejected rows in quarantine_rows.
{%- for source_name, source_table, model in ledgerlab_quarantine_sources() %}
{%- if not loop.first %}
union all
{%- endif %}
select * from (
    {{ raw_rows_reconcile(source_table, source(source_name, source_table), model) }}
)
{%- endfor %}
