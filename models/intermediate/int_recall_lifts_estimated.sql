-- The effect of recall outreach (SPEC §6 "Effect (lift)") on every KPI row with contacted
-- customers and a holdout: lift = treated_return_rate − control_rate, the control rate being the
-- holdout's of the same month × tier × campaign (channel plays no part), with a 95% Wald interval
-- for a difference of two independent proportions (z = wald_z_95(); null where either group is
-- empty). On rows that pool tiers or campaigns, lift_stratified is the contacted-weighted mean of
-- the single tier × single campaign lifts (the strata) under the row that have both groups, per
-- channel or over all channels, so pooling cannot reverse an effect.
with

touch_rows as (

    select * from {{ ref('int_recall_touches_counted') }}

),

holdout_rows as (

    select * from {{ ref('int_recall_holdouts_counted') }}

),

lifts as (

    select
        touch_rows.month_start,
        touch_rows.channel,
        touch_rows.recall_tier,
        touch_rows.campaign_id,
        touch_rows.contacted_customers,
        touch_rows.treated_return_rate - holdout_rows.control_rate as lift,
        -- Standard error of a difference of two independent proportions (Wald).
        sqrt(
            touch_rows.treated_return_rate * (1 - touch_rows.treated_return_rate)
            / touch_rows.contacted_customers
            + holdout_rows.control_rate * (1 - holdout_rows.control_rate)
            / holdout_rows.control_customers
        ) as lift_standard_error

    from touch_rows
    inner join holdout_rows
        on
            touch_rows.month_start = holdout_rows.month_start
            and touch_rows.recall_tier = holdout_rows.recall_tier
            and touch_rows.campaign_id = holdout_rows.campaign_id

),

-- The cube's (tier, campaign) set is a single stratum, and `final` reads it nowhere.
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

final as (

    select
        lifts.month_start,
        lifts.channel,
        lifts.recall_tier,
        lifts.campaign_id,
        lifts.lift,
        lifts.lift - {{ wald_z_95() }} * lifts.lift_standard_error as lift_ci_low,
        lifts.lift + {{ wald_z_95() }} * lifts.lift_standard_error as lift_ci_high,
        case
            when lifts.recall_tier = 'all' or lifts.campaign_id = 'all'
                then stratified_lifts.lift_stratified
        end as lift_stratified

    from lifts
    left join stratified_lifts
        on
            lifts.month_start = stratified_lifts.month_start
            and lifts.channel = stratified_lifts.channel
            and lifts.recall_tier = stratified_lifts.recall_tier
            and lifts.campaign_id = stratified_lifts.campaign_id

)

select * from final
