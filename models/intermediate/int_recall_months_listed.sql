-- The months the recall marts report (SPEC §6.1, §6.3): every calendar month from the first with
-- transactions (or touches, or campaign fixed costs) to D's month, with the dates its stocks are
-- taken at (the previous month end, and the month end or D in D's month) and whether its figures
-- are final: is_final once month end + attribution window + 1 day <= D, so no later data can
-- change the recall columns, and retention_is_final once the third calendar month after the month
-- of that day has ended by D. recall_kpis_monthly has a grand-total row, and lapsed_pool_monthly
-- a row, for each of these months.
--
-- A table, not a view: it is small, and as a view its data tests and each model that reads it
-- ran it again.
{{ config(materialized='table') }}
{%- set window_days = var('attribution_window_days') | int %}

with

transactions as (

    select * from {{ ref('int_transactions_converted') }}

),

recall_touches as (

    select * from {{ ref('int_recall_touches_attributed') }}

),

fixed_costs as (

    select * from {{ ref('int_campaign_fixed_costs_allocated') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

month_bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(first_day)') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', 'max(as_of_date)') }} as date) as last_month

    from (
        select min(occurred_date) as first_day from transactions
        union all
        select min(sent_date) as first_day from recall_touches
        union all
        select min(cost_month) as first_day from fixed_costs
    ) as first_days
    cross join as_of

),

calendar as (

    {{ day_spine(
        "(select first_month from month_bounds)",
        "(select last_month from month_bounds)"
    ) }}

),

months as (

    select date_day as month_start

    from calendar
    where date_day = cast({{ dbt.date_trunc('month', 'date_day') }} as date)

),

-- D stands in for the end of D's month. Every attribution window opened in the month has closed
-- by the day after month end + window.
month_dates as (

    select
        months.month_start,
        cast({{ dbt.dateadd('day', -1, 'months.month_start') }} as date) as previous_month_end,
        case
            when {{ dbt.last_day('months.month_start', 'month') }} < as_of.as_of_date
                then cast({{ dbt.last_day('months.month_start', 'month') }} as date)
            else as_of.as_of_date
        end as closing_date,
        cast({{ dbt.dateadd(
            'day', window_days + 1, dbt.last_day('months.month_start', 'month')
        ) }} as date) as windows_closed_date,
        as_of.as_of_date

    from months
    cross join as_of

),

final as (

    select
        month_start,
        previous_month_end,
        closing_date,
        windows_closed_date <= as_of_date as is_final,
        -- Three full calendar months after the month in which the last window closes.
        cast({{ dbt.last_day(
            dbt.dateadd('month', 3, dbt.date_trunc('month', 'windows_closed_date')),
            'month'
        ) }} as date) <= as_of_date as retention_is_final

    from month_dates

)

select * from final
