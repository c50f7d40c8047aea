{#
    The raw sources on an engine that reads files. DuckDB: ingest writes raw.<source> in the
    warehouse file itself, so there is nothing to do. Spark: each source is an external Parquet
    table over the folder ingest wrote (orchestration/ingest/raw_parquet.py), under
    $RECALL_RAW_PARQUET (default $RECALL_HOME/raw). Called on run start.
#}
{% macro register_raw_tables() -%}
    {{ return(adapter.dispatch('register_raw_tables', 'recall_warehouse')()) }}
{%- endmacro %}

{% macro default__register_raw_tables() -%}
{%- endmacro %}

{% macro spark__register_raw_tables() -%}
    {%- if execute -%}
        {%- set raw_dir = env_var(
            'RECALL_RAW_PARQUET', env_var('RECALL_HOME', 'data') ~ '/raw'
        ) -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {#- Dropping an external table leaves its files; created again, it follows a
                home that moved. -#}
            {%- do run_query('drop table if exists raw.' ~ source.name) -%}
            {%- do run_query(
                'create table raw.' ~ source.name ~ ' using parquet location '
                ~ "'" ~ raw_dir ~ '/' ~ source.name ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
