{#
    Spark and Parquet folders, so DuckDB, pandas or any Parquet reader opens what Spark built
    and Spark reads what the rest of the warehouse wrote.

    write_parquet_tables: each relation ('schema.table'; views are written with their rows)
    as the folder <directory>/<schema>/<table>, its files replaced whole. Run with
    dbt run-operation write_parquet_tables --args '{relations: [...], directory: ...}'.

    register_parquet_tables: the folders <directory>/<table> as the external tables of
    Spark's metastore schema <schema>, and only those (created again each time: dropping an
    external table leaves its files, and a table created again follows a home that moved).
#}
{% macro write_parquet_tables(relations, directory) -%}
    {%- for relation in relations -%}
        {%- set schema, table = relation.split('.') -%}
        {%- do run_query(
            "insert overwrite directory '" ~ directory ~ "/" ~ schema ~ "/" ~ table ~ "' "
            ~ "using parquet select * from " ~ relation
        ) -%}
    {%- endfor -%}
{%- endmacro %}

{% macro register_parquet_tables(schema, tables, directory) -%}
    {%- do run_query('create database if not exists ' ~ schema) -%}
    {%- for registered in run_query('show tables in ' ~ schema) -%}
        {%- if registered['tableName'] not in tables -%}
            {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ registered['tableName']) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for table in tables -%}
        {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ table) -%}
        {%- do run_query(
            'create table ' ~ schema ~ '.' ~ table ~ ' using parquet location '
            ~ "'" ~ directory ~ '/' ~ table ~ "'"
        ) -%}
    {%- endfor -%}
{%- endmacro %}
