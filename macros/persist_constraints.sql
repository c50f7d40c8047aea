{#
    NOT NULL on Spark. The marts' enforced contracts declare the columns that are never null;
    DuckDB enforces them as table constraints, but a Parquet table on Spark cannot carry one
    (ALTER COLUMN ... SET NOT NULL needs Delta). So on Spark the build checks the new table
    instead, and fails naming the table, the column and the rows, as DuckDB would.
#}
{% macro spark__persist_constraints(relation, model) -%}
    {%- if config.get('contract').enforced -%}
        {%- for column_name, column in model.columns.items() -%}
            {%- if column.constraints | selectattr('type', 'equalto', 'not_null') | list -%}
                {%- set nulls = run_query(
                    'select count(*) from ' ~ relation ~ ' where ' ~ column_name ~ ' is null'
                ).columns[0].values()[0] -%}
                {%- if nulls > 0 -%}
                    {{ exceptions.raise_compiler_error(
                        'NOT NULL constraint failed: ' ~ relation ~ '.' ~ column_name
                        ~ ' is null in ' ~ nulls ~ ' rows'
                    ) }}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
