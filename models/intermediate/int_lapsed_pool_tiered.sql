-- The lapsed pool at the start of each month by recall tier (SPEC §6.1 lapsed_at_month_start):
-- customers dormant or lapsed at a month end, tiered by that month end's value_score and lapse
-- band (SPEC §5.3, macro join_recall_tier), counted on the month that follows, per tier and over
-- all tiers. A dormant or lapsed customer without a value score counts as tier `unscored`.
--
-- A table, not a view: it is small, and as a view its data tests and each model that reads it
-- ran it again.
{{ config(materialized='table') }}

with

customer_states as (

    select * from {{ ref('int_customer_states_evaluated') }}

),

recall_tier_matrix as (

    select * from {{ ref('stg_recall_tier_matrix') }}

),

pool_members as (

    select
        customer_states.customer_id,
        cast({{ dbt.dateadd('day', 1, 'customer_states.evaluation_date') }} as date)
            as month_start,
        {{ recall_tier_key('recall_tier_matrix.recall_tier') }} as tier_key

    from customer_states
    {{ join_recall_tier(
        'recall_tier_matrix',
        'customer_states.value_score',
        lapse_band_number('customer_states.r_days')
    ) }}
    where
        customer_states.is_month_end
        and customer_states.stage in ('dormant', 'lapsed')

),

final as (

    select
        month_start,
        case when grouping(tier_key) = 1 then 'all' else tier_key end as recall_tier,
        count(*) as lapsed_at_month_start

    from pool_members
    group by
        month_start,
        rollup(tier_key)

)

select * from final
