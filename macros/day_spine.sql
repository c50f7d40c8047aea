{#
    One row per calendar day from start_date to end_date inclusive, as column date_day (DATE).
    Both bounds are SQL expressions (scalar subqueries allowed); no rows when either is null.
    dbt's own date_spine needs its bounds at compile time, hence this small dispatched macro.
#}
{% macro day_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('day_spine', 'recall_warehouse')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__day_spine(start_date, end_date) -%}
    select cast(generated_day as date) as date_day
    from unnest(generate_series(
        cast({{ start_date }} as date),
        cast({{ end_date }} as date),
        interval 1 day
    )) as spine (generated_day)
{%- endmacro %}

{% macro spark__day_spine(start_date, end_date) -%}
    select explode(sequence(
        cast({{ start_date }} as date),
        cast({{ end_date }} as date),
        interval 1 day
    )) as date_day
{%- endmacro %}
