-- Monthly recall KPIs (SPEC §6.1): month of the touch × channel × recall tier at the touch ×
-- campaign, with `all` rollups. Every figure comes from an intermediate step, each one rule:
-- int_recall_months_listed (the months and their finality), int_recall_touches_counted (touches
-- reduced to customers per grouping set, then counted), int_recall_holdouts_counted (the control
-- group), int_lapsed_pool_tiered (the pool at the month start), int_newly_lapsed_counted,
-- int_untouched_fixed_costs_rolled_up and int_recall_lifts_estimated (lift and stratified lift).
-- This model lists the rows SPEC §6.1 requires and joins the steps onto them. Distinct counts
-- are counted per grouping set by the steps and never summed here.
with

months as (

    select * from {{ ref('int_recall_months_listed') }}

),

touch_rows as (

    select * from {{ ref('int_recall_touches_counted') }}

),

holdout_rows as (

    select * from {{ ref('int_recall_holdouts_counted') }}

),

pool_rows as (

    select * from {{ ref('int_lapsed_pool_tiered') }}

),

untouched_fixed_costs as (

    select * from {{ ref('int_untouched_fixed_costs_rolled_up') }}

),

newly_lapsed_rows as (

    select * from {{ ref('int_newly_lapsed_counted') }}

),

lifts as (

    select * from {{ ref('int_recall_lifts_estimated') }}

),

-- The rows SPEC §6.1 requires: the grand total every month; (month, all, tier, all) for tiers
-- with a pool at the month start; every combination with eligible touches or holdout rows
-- (holdout rows have no channel, so they create channel `all` rows); tier `all` rows with
-- ineligible touches (to show their count and cost); campaign months with a fixed cost.
row_keys as (

    select
        month_start,
        'all' as channel,
        'all' as recall_tier,
        'all' as campaign_id

    from months

    union

    select
        month_start,
        'all' as channel,
        recall_tier,
        'all' as campaign_id

    from pool_rows

    union

    select
        month_start,
        channel,
        recall_tier,
        campaign_id

    from touch_rows

    union

    select
        month_start,
        'all' as channel,
        recall_tier,
        campaign_id

    from holdout_rows

    union

    select
        month_start,
        'all' as channel,
        'all' as recall_tier,
        campaign_id

    from untouched_fixed_costs

),

-- Only the months of the report: a pool taken at D's month end, or a campaign running on after
-- D's month, belongs to a month not reported yet.
row_keys_in_range as (

    select
        row_keys.*,
        months.is_final,
        months.retention_is_final

    from row_keys
    inner join months
        on row_keys.month_start = months.month_start

),

-- Counts are 0 where nothing happened; a column a row kind does not carry is null.
row_metrics as (

    select
        row_keys.month_start,
        row_keys.channel,
        row_keys.recall_tier,
        row_keys.campaign_id,
        case
            when row_keys.channel = 'all' and row_keys.campaign_id = 'all'
                then coalesce(pool_rows.lapsed_at_month_start, 0)
        end as lapsed_at_month_start,
        coalesce(touch_rows.touches, 0) as touches,
        coalesce(touch_rows.contacted_customers, 0) as contacted_customers,
        case
            when row_keys.recall_tier = 'all' then coalesce(touch_rows.ineligible_touches, 0)
        end as ineligible_touches,
        case
            when row_keys.recall_tier = 'all' then coalesce(touch_rows.ineligible_cost, 0)
        end as ineligible_cost,
        coalesce(touch_rows.delivered, 0) as delivered,
        coalesce(touch_rows.opened, 0) as opened,
        coalesce(touch_rows.clicked, 0) as clicked,
        coalesce(touch_rows.reached, 0) as reached,
        coalesce(touch_rows.recalled_customers, 0) as recalled_customers,
        touch_rows.recall_rate,
        coalesce(touch_rows.treated_returned, 0) as treated_returned,
        touch_rows.treated_return_rate,
        coalesce(holdout_rows.control_customers, 0) as control_customers,
        coalesce(holdout_rows.control_returned, 0) as control_returned,
        holdout_rows.control_rate,
        lifts.lift,
        lifts.lift_ci_low,
        lifts.lift_ci_high,
        lifts.lift_stratified,
        coalesce(touch_rows.recalled_revenue, 0) as recalled_revenue,
        coalesce(touch_rows.cost, 0)
        + case
            when row_keys.channel = 'all' and row_keys.recall_tier = 'all'
                then coalesce(untouched_fixed_costs.untouched_fixed_cost, 0)
            else 0
        end as cost,
        touch_rows.retained_m1,
        touch_rows.retained_m2,
        touch_rows.retained_m3,
        case
            when
                row_keys.channel = 'all'
                and row_keys.recall_tier = 'all'
                and row_keys.campaign_id = 'all'
                then coalesce(newly_lapsed_rows.newly_lapsed, 0)
        end as newly_lapsed,
        row_keys.is_final,
        row_keys.retention_is_final

    from row_keys_in_range as row_keys
    left join touch_rows
        on
            row_keys.month_start = touch_rows.month_start
            and row_keys.channel = touch_rows.channel
            and row_keys.recall_tier = touch_rows.recall_tier
            and row_keys.campaign_id = touch_rows.campaign_id
    -- The holdout has no channel: every channel row of a month × tier × campaign shares it.
    left join holdout_rows
        on
            row_keys.month_start = holdout_rows.month_start
            and row_keys.recall_tier = holdout_rows.recall_tier
            and row_keys.campaign_id = holdout_rows.campaign_id
    left join lifts
        on
            row_keys.month_start = lifts.month_start
            and row_keys.channel = lifts.channel
            and row_keys.recall_tier = lifts.recall_tier
            and row_keys.campaign_id = lifts.campaign_id
    left join pool_rows
        on
            row_keys.month_start = pool_rows.month_start
            and row_keys.recall_tier = pool_rows.recall_tier
    left join untouched_fixed_costs
        on
            row_keys.month_start = untouched_fixed_costs.month_start
            and row_keys.campaign_id = untouched_fixed_costs.campaign_id
    left join newly_lapsed_rows
        on row_keys.month_start = newly_lapsed_rows.month_start

),

final as (

    select
        row_metrics.month_start as month,
        row_metrics.channel,
        row_metrics.recall_tier,
        row_metrics.campaign_id,
        cast(row_metrics.lapsed_at_month_start as {{ dbt.type_int() }}) as lapsed_at_month_start,
        cast(row_metrics.touches as {{ dbt.type_int() }}) as touches,
        cast(row_metrics.contacted_customers as {{ dbt.type_int() }}) as contacted_customers,
        cast(row_metrics.ineligible_touches as {{ dbt.type_int() }}) as ineligible_touches,
        cast(row_metrics.ineligible_cost as decimal(18, 2)) as ineligible_cost,
        cast(row_metrics.delivered as {{ dbt.type_int() }}) as delivered,
        cast(row_metrics.opened as {{ dbt.type_int() }}) as opened,
        cast(row_metrics.clicked as {{ dbt.type_int() }}) as clicked,
        cast(row_metrics.reached as {{ dbt.type_int() }}) as reached,
        cast(row_metrics.recalled_customers as {{ dbt.type_int() }}) as recalled_customers,
        cast(row_metrics.recall_rate as double) as recall_rate,
        cast(row_metrics.treated_returned as {{ dbt.type_int() }}) as treated_returned,
        cast(row_metrics.treated_return_rate as double) as treated_return_rate,
        cast(row_metrics.control_customers as {{ dbt.type_int() }}) as control_customers,
        cast(row_metrics.control_returned as {{ dbt.type_int() }}) as control_returned,
        cast(row_metrics.control_rate as double) as control_rate,
        cast(row_metrics.lift as double) as lift,
        cast(row_metrics.lift_ci_low as double) as lift_ci_low,
        cast(row_metrics.lift_ci_high as double) as lift_ci_high,
        cast(row_metrics.lift_stratified as double) as lift_stratified,
        cast(row_metrics.recalled_revenue as decimal(18, 2)) as recalled_revenue,
        cast(row_metrics.cost as decimal(18, 2)) as cost,
        {{ round_half_up_ratio(
            'row_metrics.cost', 'nullif(row_metrics.recalled_customers, 0)'
        ) }} as cost_per_recall,
        cast(row_metrics.retained_m1 as double) as retained_m1,
        cast(row_metrics.retained_m2 as double) as retained_m2,
        cast(row_metrics.retained_m3 as double) as retained_m3,
        cast(row_metrics.newly_lapsed as {{ dbt.type_int() }}) as newly_lapsed,
        -- newly_lapsed − recalled_customers on grand-total rows (newly_lapsed is null elsewhere).
        cast(
            row_metrics.newly_lapsed - row_metrics.recalled_customers as {{ dbt.type_int() }}
        ) as net_lapsed_change,
        row_metrics.is_final,
        row_metrics.retention_is_final

    from row_metrics

)

select * from final
