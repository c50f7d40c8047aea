{#
    Spark: write tables of a schema as Parquet folders, one per table, under a directory
    (dbt run-operation write_parquet_tables --args '{schema: marts, tables: [...], directory:
    ...}'), so DuckDB, pandas or any Parquet reader opens what Spark built. Views are written
    with their rows. Each folder is replaced whole.
#}
{% macro write_parquet_tables(schema, tables, directory) -%}
    {%- for table in tables -%}
        {%- do run_query(
            "insert overwrite directory '" ~ directory ~ "/" ~ table ~ "' using parquet "
            ~ "select * from " ~ schema ~ "." ~ table
        ) -%}
    {%- endfor -%}
{%- endmacro %}
