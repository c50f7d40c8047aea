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
    where month in (select kpis.month from kpis)

),

-- Closed months only: a current row in a closed month that did not exist at its close is a
-- restatement too.
current_rows as (

    select * from kpis
    where month in (select closed.month from closed)

),

compared_rows as (

    select
        {%- for column in keys %}
        coalesce(closed.{{ column }}, current_rows.{{ column }}) as {{ column }},
        {%- endfor %}
        {%- for column, _ in compared %}
        closed.{{ column }} as closed_{{ column }},
        current_rows.{{ column }} as current_{{ column }},
        {%- endfor %}
        max(closed.closed_on) over (
            partition by coalesce(closed.month, current_rows.month)
        ) as closed_on,
        max(closed.retention_closed_on) over (
            partition by coalesce(closed.month, current_rows.month)
        ) as retention_closed_on

    from closed
    full outer join current_rows
        on
            closed.month = current_rows.month
            and closed.channel = current_rows.channel
            and closed.recall_tier = current_rows.recall_tier
            and closed.campaign_id = current_rows.campaign_id

),

restated as (

    {%- for column, closed_on in compared %}

    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        '{{ column }}' as column_name,
        cast(closed_{{ column }} as double) as closed_value,
        cast(current_{{ column }} as double) as current_value,
        cast(current_{{ column }} - closed_{{ column }} as double) as difference,
        {{ closed_on }} as closed_on

    from compared_rows
    where
        {{ closed_on }} is not null
        and closed_{{ column }} is distinct from current_{{ column }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

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

)

select * from final
