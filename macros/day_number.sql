{#
    Days from 1970-01-01 to a date, as an integer. Window frames over "the N days up to and
    including" a date order by it and use a numeric range (`range between N - 1 preceding and
    current row`), which every engine supports, unlike interval frames over DATE columns.
    Dispatched because dbt.datediff goes through timestamps on DuckDB, which makes a range
    frame over tens of millions of customer-days several times slower than date arithmetic.
#}
{% macro day_number(date) -%}
    {{ return(adapter.dispatch('day_number', 'recall_warehouse')(date)) }}
{%- endmacro %}

{% macro duckdb__day_number(date) -%}
    (cast({{ date }} as date) - cast('1970-01-01' as date))
{%- endmacro %}

{% macro spark__day_number(date) -%}
    datediff(cast({{ date }} as date), cast('1970-01-01' as date))
{%- endmacro %}
