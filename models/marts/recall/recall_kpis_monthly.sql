-- Monthly recall KPIs (SPEC §6.1): month of the touch × channel × recall tier at the touch ×
-- campaign, with `all` rollups. Distinct counts are right at every level because every level
-- is its own grouping set: touches are first reduced to one row per customer and grouping
-- set (customer grain), then counted per grouping set. Nothing is ever summed across
-- grouping sets.
--
-- Flow: touches (costs attached) → customers per grouping set → KPI rows; holdout rows the
-- same way on month × tier × campaign; then the lapsed pool, lift, stratified lift, finality.
-- The grouping sets are written as cube / rollup beside fixed columns (DuckDB and Spark).
{%- set window_days = var('attribution_window_days') | int %}
{%- set z_95 = 1.959964 %}

with

recall_touches as (

    select * from {{ ref('fct_recall_touches') }}

),

recall_touches_attributed as (

    select * from {{ ref('int_recall_touches_attributed') }}

),

fixed_costs as (

    select * from {{ ref('int_campaign_fixed_costs_allocated') }}

),

transactions as (

    select * from {{ ref('fct_transactions') }}

),

customer_states as (

    select * from {{ ref('int_customer_states_evaluated') }}

),

recall_tier_matrix as (

    select * from {{ ref('stg_recall_tier_matrix') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

-- Every month from the first with transactions (or touches, or campaign costs) to D's month.
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

-- The local month of each qualifying purchase, for retention.
purchase_months as (

    select distinct
        customer_id,
        occurred_month

    from transactions
    where is_qualifying_purchase

),

-- Retention (SPEC §6.1): a qualifying purchase in the 1st, 2nd and 3rd calendar month after
-- the month of the recall purchase (nothing after D exists).
months_after_recall as (

    select
        recall_touches.touch_id,
        {{ dbt.datediff(
            'recall_purchases.occurred_month', 'purchase_months.occurred_month', 'month'
        ) }} as months_after

    from recall_touches
    inner join transactions as recall_purchases
        on recall_touches.recall_transaction_id = recall_purchases.transaction_id
    inner join purchase_months
        on
            recall_touches.customer_id = purchase_months.customer_id
            and recall_purchases.occurred_month < purchase_months.occurred_month
    where recall_touches.is_credited

),

credited_retention as (

    select
        touch_id,
        max(case when months_after = 1 then 1 else 0 end) as is_retained_m1,
        max(case when months_after = 2 then 1 else 0 end) as is_retained_m2,
        max(case when months_after = 3 then 1 else 0 end) as is_retained_m3

    from months_after_recall
    group by touch_id

),

-- Non-control touches with everything a KPI needs. tier_key is the tier at the touch as text;
-- ineligible touches carry no tier, so they only reach rows with recall_tier `all`.
touches as (

    select
        recall_touches.touch_id,
        recall_touches.customer_id,
        recall_touches.sent_month,
        recall_touches.channel,
        recall_touches.campaign_id,
        case
            when not recall_touches.is_eligible then 'ineligible'
            else {{ recall_tier_key('recall_touches.recall_tier') }}
        end as tier_key,
        recall_touches.is_eligible,
        recall_touches.sent_at,
        recall_touches_attributed.attribution_window_ends_at,
        recall_touches_attributed.next_purchase_at,
        recall_touches.is_delivered,
        recall_touches.is_opened,
        recall_touches.is_clicked,
        coalesce(recall_touches.outcome = 'reached', false) as is_reached,
        recall_touches.is_credited,
        recall_touches.recalled_revenue,
        coalesce(credited_retention.is_retained_m1, 0) as is_retained_m1,
        coalesce(credited_retention.is_retained_m2, 0) as is_retained_m2,
        coalesce(credited_retention.is_retained_m3, 0) as is_retained_m3,
        recall_touches.cost_reporting + coalesce(fixed_costs.fixed_cost_share, 0) as touch_cost

    from recall_touches
    inner join recall_touches_attributed
        on recall_touches.touch_id = recall_touches_attributed.touch_id
    left join fixed_costs
        on recall_touches.touch_id = fixed_costs.touch_id
    left join credited_retention
        on recall_touches.touch_id = credited_retention.touch_id
    where not recall_touches.is_control

),

-- One row per customer and grouping set. For the Effect metric, the customer's first eligible
-- touch among the set's touches opens the window (retries do not extend it): the first
-- qualifying purchase after it is the earliest next_purchase_at of those touches.
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
        max(case when is_credited then is_retained_m1 else 0 end) as is_retained_m1,
        max(case when is_credited then is_retained_m2 else 0 end) as is_retained_m2,
        max(case when is_credited then is_retained_m3 else 0 end) as is_retained_m3,
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

-- Eligible holdout rows (ineligible ones are left out of every figure), reduced to one row per
-- customer and month × tier × campaign grouping set: the first row in the set opens the window.
control_customers as (

    select
        recall_touches.sent_month,
        recall_touches.customer_id,
        case
            when grouping(recall_touches.recall_tier) = 1 then 'all'
            else {{ recall_tier_key('recall_touches.recall_tier') }}
        end as recall_tier,
        case
            when grouping(recall_touches.campaign_id) = 1 then 'all'
            else recall_touches.campaign_id
        end as campaign_id,
        min(recall_touches_attributed.attribution_window_ends_at) as first_window_ends_at,
        min(recall_touches_attributed.next_purchase_at) as next_purchase_at

    from recall_touches
    inner join recall_touches_attributed
        on recall_touches.touch_id = recall_touches_attributed.touch_id
    where recall_touches.is_control and recall_touches.is_eligible
    group by
        recall_touches.sent_month,
        recall_touches.customer_id,
        cube(recall_touches.recall_tier, recall_touches.campaign_id)

),

control_rows as (

    select
        sent_month as month_start,
        recall_tier,
        campaign_id,
        count(*) as control_customers,
        sum(
            case when next_purchase_at <= first_window_ends_at then 1 else 0 end
        ) as control_returned

    from control_customers
    group by
        sent_month,
        recall_tier,
        campaign_id

),

-- Customers dormant or lapsed at each month end, by the tier of that month end's value_score
-- and band (SPEC §6.1 lapsed_at_month_start), counted on the following month.
pool_members as (

    select
        customer_states.customer_id,
        cast({{ dbt.dateadd('day', 1, 'customer_states.evaluation_date') }} as date)
            as month_start,
        {{ recall_tier_key('recall_tier_matrix.recall_tier') }} as tier_key

    from customer_states
    left join recall_tier_matrix
        on
            customer_states.value_score = recall_tier_matrix.value_score
            and {{ lapse_band_number('customer_states.r_days') }}
            = recall_tier_matrix.band_number
    where
        customer_states.is_month_end
        and customer_states.stage in ('dormant', 'lapsed')

),

pool_rows as (

    select
        month_start,
        case when grouping(tier_key) = 1 then 'all' else tier_key end as recall_tier,
        count(*) as lapsed_at_month_start

    from pool_members
    group by
        month_start,
        rollup(tier_key)

),

-- newly_lapsed (grand-total rows): lapsed (not dormant) at this month end, D standing in for
-- the end of D's month, but not at the previous month end.
month_end_dates as (

    select
        months.month_start,
        cast({{ dbt.dateadd('day', -1, 'months.month_start') }} as date) as previous_month_end,
        case
            when {{ dbt.last_day('months.month_start', 'month') }} < as_of.as_of_date
                then cast({{ dbt.last_day('months.month_start', 'month') }} as date)
            else as_of.as_of_date
        end as closing_date

    from months
    cross join as_of

),

lapsed_states as (

    select
        customer_id,
        evaluation_date

    from customer_states
    where stage = 'lapsed'

),

newly_lapsed_rows as (

    select
        month_end_dates.month_start,
        count(*) as newly_lapsed

    from month_end_dates
    inner join lapsed_states as lapsed_at_close
        on month_end_dates.closing_date = lapsed_at_close.evaluation_date
    left join lapsed_states as lapsed_before
        on
            lapsed_at_close.customer_id = lapsed_before.customer_id
            and month_end_dates.previous_month_end = lapsed_before.evaluation_date
    where lapsed_before.customer_id is null
    group by month_end_dates.month_start

),

-- Fixed-cost shares of campaign months without touches: on (month, all, all, campaign) and
-- the grand total.
untouched_fixed_costs as (

    select
        cost_month as month_start,
        case when grouping(campaign_id) = 1 then 'all' else campaign_id end as campaign_id,
        sum(fixed_cost_share) as untouched_fixed_cost

    from fixed_costs
    where touch_id is null
    group by
        cost_month,
        rollup(campaign_id)

),

-- The rows SPEC §6.1 requires: the grand total every month; (month, all, tier, all) for
-- tiers with a pool at the month start; every combination with eligible touches or holdout
-- rows (holdout rows have no channel, so they create channel `all` rows); tier `all` rows with
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

    from control_rows

    union

    select
        month_start,
        'all' as channel,
        'all' as recall_tier,
        campaign_id

    from untouched_fixed_costs

),

row_keys_in_range as (

    select row_keys.*

    from row_keys
    inner join months
        on row_keys.month_start = months.month_start

),

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
        coalesce(touch_rows.treated_returned, 0) as treated_returned,
        coalesce(control_rows.control_customers, 0) as control_customers,
        coalesce(control_rows.control_returned, 0) as control_returned,
        coalesce(touch_rows.recalled_revenue, 0) as recalled_revenue,
        coalesce(touch_rows.cost, 0)
        + case
            when row_keys.channel = 'all' and row_keys.recall_tier = 'all'
                then coalesce(untouched_fixed_costs.untouched_fixed_cost, 0)
            else 0
        end as cost,
        coalesce(touch_rows.retained_m1_customers, 0) as retained_m1_customers,
        coalesce(touch_rows.retained_m2_customers, 0) as retained_m2_customers,
        coalesce(touch_rows.retained_m3_customers, 0) as retained_m3_customers,
        (
            row_keys.channel = 'all'
            and row_keys.recall_tier = 'all'
            and row_keys.campaign_id = 'all'
        ) as is_grand_total

    from row_keys_in_range as row_keys
    left join touch_rows
        on
            row_keys.month_start = touch_rows.month_start
            and row_keys.channel = touch_rows.channel
            and row_keys.recall_tier = touch_rows.recall_tier
            and row_keys.campaign_id = touch_rows.campaign_id
    -- The holdout has no channel: every channel row of a month × tier × campaign shares it.
    left join control_rows
        on
            row_keys.month_start = control_rows.month_start
            and row_keys.recall_tier = control_rows.recall_tier
            and row_keys.campaign_id = control_rows.campaign_id
    left join pool_rows
        on
            row_keys.month_start = pool_rows.month_start
            and row_keys.recall_tier = pool_rows.recall_tier
    left join untouched_fixed_costs
        on
            row_keys.month_start = untouched_fixed_costs.month_start
            and row_keys.campaign_id = untouched_fixed_costs.campaign_id

),

rates as (

    select
        *,
        1.0 * recalled_customers / nullif(contacted_customers, 0) as recall_rate,
        1.0 * treated_returned / nullif(contacted_customers, 0) as treated_return_rate,
        1.0 * control_returned / nullif(control_customers, 0) as control_rate

    from row_metrics

),

lifts as (

    select
        *,
        treated_return_rate - control_rate as lift,
        -- Standard error of a difference of two independent proportions (Wald).
        sqrt(
            treated_return_rate * (1 - treated_return_rate) / contacted_customers
            + control_rate * (1 - control_rate) / control_customers
        ) as lift_standard_error

    from rates

),

-- Strata: single tier × single campaign rows with both groups; their contacted-weighted mean
-- lift is the stratified lift of the rows that pool them (per channel, or channel `all`). The
-- cube's (tier, campaign) set is a single stratum, and `final` reads it nowhere.
strata as (

    select
        month_start,
        channel,
        recall_tier,
        campaign_id,
        contacted_customers,
        lift

    from lifts
    where
        recall_tier != 'all'
        and campaign_id != 'all'
        and lift is not null

),

stratified_lifts as (

    select
        month_start,
        channel,
        case when grouping(recall_tier) = 1 then 'all' else recall_tier end as recall_tier,
        case when grouping(campaign_id) = 1 then 'all' else campaign_id end as campaign_id,
        -- Summed as decimals: a floating-point sum depends on the order the engine adds the
        -- strata in (threads, file order), and the figures must not (SPEC §4).
        sum(contacted_customers * cast(lift as decimal(38, 18)))
        / sum(contacted_customers) as lift_stratified

    from strata
    group by
        month_start,
        channel,
        cube(recall_tier, campaign_id)

),

-- newly_lapsed and net_lapsed_change on grand-total rows only.
final as (

    select
        lifts.month_start as month,
        lifts.channel,
        lifts.recall_tier,
        lifts.campaign_id,
        cast(lifts.lapsed_at_month_start as {{ dbt.type_int() }}) as lapsed_at_month_start,
        cast(lifts.touches as {{ dbt.type_int() }}) as touches,
        cast(lifts.contacted_customers as {{ dbt.type_int() }}) as contacted_customers,
        cast(lifts.ineligible_touches as {{ dbt.type_int() }}) as ineligible_touches,
        cast(lifts.ineligible_cost as decimal(18, 2)) as ineligible_cost,
        cast(lifts.delivered as {{ dbt.type_int() }}) as delivered,
        cast(lifts.opened as {{ dbt.type_int() }}) as opened,
        cast(lifts.clicked as {{ dbt.type_int() }}) as clicked,
        cast(lifts.reached as {{ dbt.type_int() }}) as reached,
        cast(lifts.recalled_customers as {{ dbt.type_int() }}) as recalled_customers,
        cast(lifts.recall_rate as double) as recall_rate,
        cast(lifts.treated_returned as {{ dbt.type_int() }}) as treated_returned,
        cast(lifts.treated_return_rate as double) as treated_return_rate,
        cast(lifts.control_customers as {{ dbt.type_int() }}) as control_customers,
        cast(lifts.control_returned as {{ dbt.type_int() }}) as control_returned,
        cast(lifts.control_rate as double) as control_rate,
        cast(lifts.lift as double) as lift,
        cast(
            lifts.lift - {{ z_95 }} * lifts.lift_standard_error as double
        ) as lift_ci_low,
        cast(
            lifts.lift + {{ z_95 }} * lifts.lift_standard_error as double
        ) as lift_ci_high,
        cast(
            case
                when lifts.recall_tier = 'all' or lifts.campaign_id = 'all'
                    then stratified_lifts.lift_stratified
            end
            as double
        ) as lift_stratified,
        cast(lifts.recalled_revenue as decimal(18, 2)) as recalled_revenue,
        cast(lifts.cost as decimal(18, 2)) as cost,
        {{ round_half_up_ratio(
            'lifts.cost', 'nullif(lifts.recalled_customers, 0)'
        ) }} as cost_per_recall,
        cast(
            1.0 * lifts.retained_m1_customers / nullif(lifts.recalled_customers, 0)
            as double
        ) as retained_m1,
        cast(
            1.0 * lifts.retained_m2_customers / nullif(lifts.recalled_customers, 0)
            as double
        ) as retained_m2,
        cast(
            1.0 * lifts.retained_m3_customers / nullif(lifts.recalled_customers, 0)
            as double
        ) as retained_m3,
        cast(
            case
                when lifts.is_grand_total then coalesce(newly_lapsed_rows.newly_lapsed, 0)
            end
            as {{ dbt.type_int() }}
        ) as newly_lapsed,
        cast(
            case
                when lifts.is_grand_total
                    then coalesce(newly_lapsed_rows.newly_lapsed, 0) - lifts.recalled_customers
            end
            as {{ dbt.type_int() }}
        ) as net_lapsed_change,
        -- Month end + window + 1 day <= D: every window of the month has closed by D.
        cast({{ dbt.dateadd(
            'day', window_days + 1, dbt.last_day('lifts.month_start', 'month')
        ) }} as date) <= as_of.as_of_date as is_final,
        -- Three full calendar months after the month in which the last window closes.
        cast({{ dbt.last_day(
            dbt.dateadd('month', 3, dbt.date_trunc('month', dbt.dateadd(
                'day', window_days + 1, dbt.last_day('lifts.month_start', 'month')
            ))),
            'month'
        ) }} as date) <= as_of.as_of_date as retention_is_final

    from lifts
    cross join as_of
    left join stratified_lifts
        on
            lifts.month_start = stratified_lifts.month_start
            and lifts.channel = stratified_lifts.channel
            and lifts.recall_tier = stratified_lifts.recall_tier
            and lifts.campaign_id = stratified_lifts.campaign_id
    left join newly_lapsed_rows
        on lifts.month_start = newly_lapsed_rows.month_start

)

select * from final
