{#
    The materialization of a model that a nightly build updates in place (delete+insert on its
    unique key). DuckDB: incremental. Spark: a table built in full on every run, since Parquet
    tables have no delete (dbt-spark offers delete+insert only on Delta, Iceberg or Hudi); the
    models' is_incremental() branches then take the full-build path, which gives the same rows.
#}
{% macro incremental_where_supported() -%}
    {{ return(adapter.dispatch('incremental_where_supported', 'recall_warehouse')()) }}
{%- endmacro %}

{% macro default__incremental_where_supported() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_where_supported() -%}
    {{ return('table') }}
{%- endmacro %}
