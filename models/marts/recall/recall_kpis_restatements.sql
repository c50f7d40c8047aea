-- Restatements (SPEC §8): every figure of a closed month (recall_kpis_closed) that differs now
-- from recall_kpis_monthly, one row per figure, with the closed value, the current value and
-- the difference. Recall columns are compared from the month's close, retention columns from
-- its retention close (before it they are still maturing, not restated). A row that exists on
-- one side only shows its figures with null on the other side. Empty while nothing closed has
-- changed.
--
-- Only months final as of D are compared: a run as of an earlier date describes those months
-- before their close, so its figures are provisional, not a restatement.
{{ config(materialized='table') }}
{%- set keys = recall_kpi_columns('keys') %}
{%- set compared = [] %}
{%- for column in recall_kpi_columns('recall') %}
{%- do compared.append((column, 'closed_on')) %}
{%- endfor %}
{%- for column in recall_kpi_columns('retention') %}
{%- do compared.append((column, 'retention_closed_on')) %}
{%- endfor %}

with

kpis as (

    select * from {{ ref('recall_kpis_monthly') }}
    where is_final

),

closed as (

    select * from {{ ref('recall_kpis_closed') }}

),

-- Every closed row and every final current row, matched on their keys. Each input is read once
-- (Spark 4.3 fails to ship a plan that reads a unit test's fixture rows twice and joins them).
matched_rows as (

    select
        {%- for column in keys %}
        coalesce(closed.{{ column }}, kpis.{{ column }}) as {{ column }},
        {%- endfor %}
        {%- for column, _ in compared %}
        closed.{{ column }} as closed_{{ column }},
        kpis.{{ column }} as current_{{ column }},
        {%- endfor %}
        max(closed.closed_on) over (
            partition by coalesce(closed.month, kpis.month)
        ) as closed_on,
        max(closed.retention_closed_on) over (
            partition by coalesce(closed.month, kpis.month)
        ) as retention_closed_on,
        count(closed.month) over (
            partition by coalesce(closed.month, kpis.month)
        ) as closed_rows_in_month,
        count(kpis.month) over (
            partition by coalesce(closed.month, kpis.month)
        ) as final_rows_in_month

    from closed
    full outer join kpis
        on
            closed.month = kpis.month
            and closed.channel = kpis.channel
            and closed.recall_tier = kpis.recall_tier
            and closed.campaign_id = kpis.campaign_id

),

-- Closed months that are final as of D. A current row in a closed month that did not exist at
-- its close is a restatement too.
compared_rows as (

    select * from matched_rows
    where closed_rows_in_month > 0 and final_rows_in_month > 0

),

-- One row per figure of each compared row: a cross join with the list of figures, so
-- compared_rows is read once rather than once per figure.
figures as (

    select
        figure_list.column_name,
        figure_list.closed_on_column
    from (
        values
        {%- for column, closed_on in compared %}
        ('{{ column }}', '{{ closed_on }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as figure_list (column_name, closed_on_column)

),

restated as (

    select
        {%- for key in keys %}
        compared_rows.{{ key }},
        {%- endfor %}
        figures.column_name,
        case figures.column_name
            {%- for column, _ in compared %}
            when '{{ column }}' then cast(compared_rows.closed_{{ column }} as double)
            {%- endfor %}
        end as closed_value,
        case figures.column_name
            {%- for column, _ in compared %}
            when '{{ column }}' then cast(compared_rows.current_{{ column }} as double)
            {%- endfor %}
        end as current_value,
        case figures.column_name
            {%- for column, _ in compared %}
            when '{{ column }}'
                then cast(
                        compared_rows.current_{{ column }} - compared_rows.closed_{{ column }}
                        as double
                    )
            {%- endfor %}
        end as difference,
        case figures.closed_on_column
            when 'closed_on' then compared_rows.closed_on
            else compared_rows.retention_closed_on
        end as closed_on,
        case figures.column_name
            {%- for column, _ in compared %}
            when '{{ column }}'
                then (
                    compared_rows.closed_{{ column }}
                    is distinct from compared_rows.current_{{ column }}
                )
            {%- endfor %}
        end as is_restated

    from compared_rows
    cross join figures

),

final as (

    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        column_name,
        closed_value,
        current_value,
        difference,
        closed_on

    from restated
    where closed_on is not null and is_restated

)

select * from final
