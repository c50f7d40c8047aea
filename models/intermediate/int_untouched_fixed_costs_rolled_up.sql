-- Campaign fixed costs of campaign months without touches (SPEC §6.1 "A campaign month without
-- touches books its share on its (month, all, all, campaign) row and the rollups above it"):
-- the shares int_campaign_fixed_costs_allocated keeps without a touch_id, per month and campaign
-- and per month over all campaigns. Months after D's month are kept; the KPI mart reports only
-- its months.
--
-- A table, not a view: it is small, and as a view its data tests and each model that reads it
-- ran it again.
{{ config(materialized='table') }}

with

fixed_costs as (

    select * from {{ ref('int_campaign_fixed_costs_allocated') }}

),

final as (

    select
        cost_month as month_start,
        case when grouping(campaign_id) = 1 then 'all' else campaign_id end as campaign_id,
        sum(fixed_cost_share) as untouched_fixed_cost

    from fixed_costs
    where touch_id is null
    group by
        cost_month,
        rollup(campaign_id)

)

select * from final
