-- Published as int_campaigns_converted builds it (SPEC §9 dim_campaigns).
with

campaigns as (

    select * from {{ ref('int_campaigns_converted') }}

),

final as (

    select
        campaign_id,
        name,
        starts_on,
        ends_on,
        offer,
        target_tiers,
        fixed_cost,
        currency,
        fixed_cost_reporting,
        duration_days

    from campaigns

)

select * from final
