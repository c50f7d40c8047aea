{#
    The as-of date D (SPEC §4): the business date a run describes. No mart uses data after D.

    var('as_of_date') set (a scheduled run passes its partition date, in the environment
    variable RECALL_DBT_AS_OF_DATE: see orchestration/transform/command.py): that date.
    Otherwise: the latest transaction date in the reporting timezone.

    Models do not call this directly: int_as_of_date selects it once, and every model that
    needs D joins that one-row model, so the rule lives in one place and unit tests can
    pin D as an ordinary input.
#}
{% macro as_of_date() -%}
    {%- set as_of = run_var('as_of_date', 'RECALL_DBT_AS_OF_DATE') -%}
    {%- if as_of -%}
        cast('{{ as_of }}' as date)
    {%- else -%}
        (select max(occurred_date) from {{ ref('stg_transactions') }})
    {%- endif -%}
{%- endmacro %}
