{#
    The raw sources on an engine that reads files. DuckDB: ingest writes raw.<source> in the
    warehouse file itself, so there is nothing to do. Spark: each source is an external Parquet
    table over the folder written from the build's raw tables
    (orchestration/ingest/raw_parquet.py), under $RECALL_RAW_PARQUET (default
    $RECALL_HOME/raw). Called on run start.
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
        {%- set sources = graph.sources.values() | selectattr('source_name', 'equalto', 'raw')
            | map(attribute='name') | list -%}
        {%- do register_parquet_tables('raw', sources, raw_dir) -%}
    {%- endif -%}
{%- endmacro %}
