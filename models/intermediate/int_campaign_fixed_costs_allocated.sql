-- Campaign fixed costs spread to touches (SPEC §6.1): a campaign's fixed cost is split over its
-- calendar months in proportion to its days in each month (starts_on .. ends_on, both
-- included), and each month's share evenly over that month's non-control touches of the
-- campaign, eligible or not. A campaign month without touches keeps its share on a row with
-- no touch_id, which the KPI mart books on the (month, all, all, campaign) row.
--
-- Shares are cut to the cent by cumulative rounding (macro cumulative_cent_share), so they add
-- up to the total exactly.
--
-- A table, not a view: it is small, and as a view its data tests and each model that reads it
-- ran it again.
{{ config(materialized='table') }}

with

campaigns as (

    select * from {{ ref('int_campaigns_converted') }}

),

recall_touches as (

    select * from {{ ref('int_recall_touches_converted') }}

),

calendar as (

    {{ day_spine(
        "(select min(starts_on) from campaigns)",
        "(select max(ends_on) from campaigns)"
    ) }}

),

campaign_days as (

    select
        campaigns.campaign_id,
        campaigns.duration_days,
        campaigns.fixed_cost_reporting,
        cast({{ dbt.date_trunc('month', 'calendar.date_day') }} as date) as cost_month

    from campaigns
    inner join calendar
        on calendar.date_day between campaigns.starts_on and campaigns.ends_on

),

campaign_months as (

    select
        campaign_id,
        duration_days,
        fixed_cost_reporting,
        cost_month,
        count(*) as days_in_month

    from campaign_days
    group by
        campaign_id,
        duration_days,
        fixed_cost_reporting,
        cost_month

),

campaign_months_cumulated as (

    select
        *,
        sum(days_in_month) over (
            partition by campaign_id
            order by cost_month
            rows between unbounded preceding and current row
        ) as days_through_month

    from campaign_months

),

month_shares as (

    select
        campaign_id,
        cost_month,
        {{ cumulative_cent_share(
            'fixed_cost_reporting',
            'days_through_month - days_in_month',
            'days_through_month',
            'duration_days'
        ) }} as month_fixed_cost

    from campaign_months_cumulated

),

touches_numbered as (

    select
        touch_id,
        campaign_id,
        sent_month,
        row_number() over (
            partition by campaign_id, sent_month
            order by touch_id
        ) as touch_number,
        count(*) over (partition by campaign_id, sent_month) as month_touches

    from recall_touches
    where not is_control

),

touch_shares as (

    select
        touches_numbered.touch_id,
        month_shares.campaign_id,
        month_shares.cost_month,
        {{ cumulative_cent_share(
            'month_shares.month_fixed_cost',
            'touches_numbered.touch_number - 1',
            'touches_numbered.touch_number',
            'touches_numbered.month_touches'
        ) }} as fixed_cost_share

    from month_shares
    inner join touches_numbered
        on
            month_shares.campaign_id = touches_numbered.campaign_id
            and month_shares.cost_month = touches_numbered.sent_month

),

months_without_touches as (

    select
        cast(null as {{ dbt.type_string() }}) as touch_id,
        month_shares.campaign_id,
        month_shares.cost_month,
        month_shares.month_fixed_cost as fixed_cost_share

    from month_shares
    left join touches_numbered
        on
            month_shares.campaign_id = touches_numbered.campaign_id
            and month_shares.cost_month = touches_numbered.sent_month
    where touches_numbered.touch_id is null

),

final as (

    select * from touch_shares

    union all

    select * from months_without_touches

)

select * from final
