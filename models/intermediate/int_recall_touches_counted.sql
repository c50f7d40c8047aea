-- Recall outreach per month of the touch × channel × recall tier at the touch × campaign, with
-- `all` rollups (SPEC §6.1 touches .. cost, retained_m1 .. retained_m3): distinct counts are
-- right at every level because every level is its own grouping set. Non-control touches are
-- first reduced to one row per customer and grouping set (customer grain), then counted per
-- grouping set; nothing is ever summed across grouping sets. For the Effect metric (SPEC §6), a
-- contacted customer returned when a qualifying purchase follows within the window of their
-- first eligible touch among the row's touches (later retries do not extend it). Each touch costs
-- its own cost plus its share of campaign fixed costs (SPEC §6.1); ineligible touches carry no
-- tier, so they count (as ineligible_touches and ineligible_cost) on tier `all` rows only.
--
-- A table, not a view like the rest of the folder: recall_kpis_monthly reads it directly and
-- through int_recall_lifts_estimated, and as a view its cube over the touches ran once for each.
{{ config(materialized='table') }}

with

recall_touches as (

    select * from {{ ref('int_recall_touches_attributed') }}

),

fixed_costs as (

    select * from {{ ref('int_campaign_fixed_costs_allocated') }}

),

recalls_retained as (

    select * from {{ ref('int_recalls_retained') }}

),

-- tier_key is the tier at the touch as text; an ineligible touch has none.
touches as (

    select
        recall_touches.customer_id,
        recall_touches.sent_month,
        recall_touches.channel,
        recall_touches.campaign_id,
        case
            when not recall_touches.is_eligible then 'ineligible'
            else {{ recall_tier_key('recall_touches.recall_tier') }}
        end as tier_key,
        recall_touches.is_eligible,
        recall_touches.attribution_window_ends_at,
        recall_touches.next_purchase_at,
        recall_touches.is_delivered,
        recall_touches.is_opened,
        recall_touches.is_clicked,
        coalesce(recall_touches.outcome = 'reached', false) as is_reached,
        recall_touches.is_credited,
        recall_touches.recalled_revenue,
        coalesce(recalls_retained.is_retained_m1, false) as is_retained_m1,
        coalesce(recalls_retained.is_retained_m2, false) as is_retained_m2,
        coalesce(recalls_retained.is_retained_m3, false) as is_retained_m3,
        recall_touches.cost_reporting + coalesce(fixed_costs.fixed_cost_share, 0) as touch_cost

    from recall_touches
    left join fixed_costs
        on recall_touches.touch_id = fixed_costs.touch_id
    left join recalls_retained
        on recall_touches.touch_id = recalls_retained.touch_id
    where not recall_touches.is_control

),

-- One row per customer and grouping set. The first qualifying purchase after the customer's
-- first eligible touch of the set is the earliest next_purchase_at of those touches.
touch_customers as (

    select
        sent_month,
        customer_id,
        case when grouping(channel) = 1 then 'all' else channel end as channel,
        case when grouping(tier_key) = 1 then 'all' else tier_key end as recall_tier,
        case when grouping(campaign_id) = 1 then 'all' else campaign_id end as campaign_id,
        sum(case when is_eligible then 1 else 0 end) as eligible_touches,
        sum(case when is_eligible then 0 else 1 end) as ineligible_touches,
        max(case when is_eligible and is_delivered then 1 else 0 end) as has_delivered,
        max(case when is_eligible and is_opened then 1 else 0 end) as has_opened,
        max(case when is_eligible and is_clicked then 1 else 0 end) as has_clicked,
        max(case when is_eligible and is_reached then 1 else 0 end) as has_reached,
        max(case when is_credited then 1 else 0 end) as is_recalled,
        max(case when is_credited and is_retained_m1 then 1 else 0 end) as is_retained_m1,
        max(case when is_credited and is_retained_m2 then 1 else 0 end) as is_retained_m2,
        max(case when is_credited and is_retained_m3 then 1 else 0 end) as is_retained_m3,
        sum(case when is_credited then recalled_revenue else 0 end) as recalled_revenue,
        sum(case when is_eligible then touch_cost else 0 end) as cost,
        sum(case when is_eligible then 0 else touch_cost end) as ineligible_cost,
        min(case when is_eligible then attribution_window_ends_at end) as first_window_ends_at,
        min(case when is_eligible then next_purchase_at end) as next_purchase_at

    from touches
    group by
        sent_month,
        customer_id,
        cube(channel, tier_key, campaign_id)

),

touch_rows as (

    select
        sent_month as month_start,
        channel,
        recall_tier,
        campaign_id,
        sum(eligible_touches) as touches,
        sum(case when eligible_touches > 0 then 1 else 0 end) as contacted_customers,
        sum(ineligible_touches) as ineligible_touches,
        sum(ineligible_cost) as ineligible_cost,
        sum(has_delivered) as delivered,
        sum(has_opened) as opened,
        sum(has_clicked) as clicked,
        sum(has_reached) as reached,
        sum(is_recalled) as recalled_customers,
        sum(
            case when next_purchase_at <= first_window_ends_at then 1 else 0 end
        ) as treated_returned,
        sum(recalled_revenue) as recalled_revenue,
        sum(cost) as cost,
        sum(is_retained_m1) as retained_m1_customers,
        sum(is_retained_m2) as retained_m2_customers,
        sum(is_retained_m3) as retained_m3_customers

    from touch_customers
    where recall_tier != 'ineligible'
    group by
        sent_month,
        channel,
        recall_tier,
        campaign_id

),

-- A rate with a zero denominator is null.
final as (

    select
        *,
        cast(recalled_customers as double) / nullif(contacted_customers, 0) as recall_rate,
        cast(treated_returned as double) / nullif(contacted_customers, 0) as treated_return_rate,
        cast(retained_m1_customers as double) / nullif(recalled_customers, 0) as retained_m1,
        cast(retained_m2_customers as double) / nullif(recalled_customers, 0) as retained_m2,
        cast(retained_m3_customers as double) / nullif(recalled_customers, 0) as retained_m3

    from touch_rows

)

select * from final
