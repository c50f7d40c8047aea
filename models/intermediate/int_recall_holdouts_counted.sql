-- The holdout (control group) per month × recall tier × campaign, with `all` rollups (SPEC §6
-- "Control (holdout)", §6.1 control_customers, control_returned, control_rate): eligible control
-- rows only (ineligible ones are left out of every figure), reduced to one row per customer and
-- grouping set, so each level counts distinct customers. A control customer returned when a
-- qualifying purchase follows within the window of their first eligible control row in the set.
-- The holdout has no channel: every channel row of a month × tier × campaign shares it.
with

recall_touches as (

    select * from {{ ref('int_recall_touches_attributed') }}

),

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
        min(recall_touches.attribution_window_ends_at) as first_window_ends_at,
        min(recall_touches.next_purchase_at) as next_purchase_at

    from recall_touches
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

final as (

    select
        *,
        cast(control_returned as double) / nullif(control_customers, 0) as control_rate

    from control_rows

)

select * from final
