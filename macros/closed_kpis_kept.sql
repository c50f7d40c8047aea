{#
    Month close where a model's table is rebuilt whole on every build (Spark): the rows
    recall_kpis_closed held in the last publication, which a Spark run writes as Parquet and
    names in $RECALL_CLOSED_KPIS_PARQUET. Empty text on DuckDB, whose incremental table keeps
    its own rows ({{ this }}), and on Spark when the variable is unset (the first build, or
    dbt run by hand).
#}
{% macro closed_kpis_kept() -%}
    {{ return(adapter.dispatch('closed_kpis_kept', 'recall_warehouse')()) }}
{%- endmacro %}

{% macro default__closed_kpis_kept() -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__closed_kpis_kept() -%}
    {%- set folder = env_var('RECALL_CLOSED_KPIS_PARQUET', '') -%}
    {{ return('parquet.`' ~ folder ~ '`' if folder else '') }}
{%- endmacro %}
