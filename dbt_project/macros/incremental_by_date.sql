{#-
    How an incremental model reloads a trailing window of dates, per engine.
    `incremental_by_date_config(unique_key, partition_column)` gives the
    model's config: DuckDB deletes and re-inserts by `unique_key`; Spark
    (no MERGE on plain parquet) overwrites whole partitions of
    `partition_column` (a month), with dynamic partition overwrite.
    `incremental_reload_from(date_column, lookback_days)` is the query for
    the first date a run reloads; on Spark it is a month start, so that a
    partition is never overwritten with part of its rows.
-#}
{% macro incremental_by_date_config(unique_key, partition_column) -%}
    {{ return(adapter.dispatch('incremental_by_date_config', 'ledgerlab')(unique_key, partition_column)) }}
{%- endmacro %}

{% macro default__incremental_by_date_config(unique_key, partition_column) -%}
    {{ return({'unique_key': unique_key, 'incremental_strategy': 'delete+insert'}) }}
{%- endmacro %}

{% macro spark__incremental_by_date_config(unique_key, partition_column) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [partition_column],
               'file_format': 'parquet'}) }}
{%- endmacro %}

{% macro incremental_reload_from(date_column, lookback_days) -%}
    {{ return(adapter.dispatch('incremental_reload_from', 'ledgerlab')(date_column, lookback_days)) }}
{%- endmacro %}

{% macro default__incremental_reload_from(date_column, lookback_days) -%}
select coalesce(max({{ date_column }}), date '1900-01-01') - to_days({{ lookback_days }})
from {{ this }}
{%- endmacro %}

{% macro spark__incremental_reload_from(date_column, lookback_days) -%}
select trunc(date_sub(coalesce(max({{ date_column }}), date '1900-01-01'), {{ lookback_days }}), 'MM')
from {{ this }}
{%- endmacro %}
