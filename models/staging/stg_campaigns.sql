with

source as (

    select * from {{ source('raw', 'campaigns') }}

),

final as (

    select
        campaign_id,
        name,
        starts_on,
        ends_on,
        offer,
        -- Pipe-separated recall tiers the campaign targets, e.g. '1|2|3' (null: any tier).
        target_tiers,
        cast(fixed_cost as decimal(18, 4)) as fixed_cost,
        currency

    from source

)

select * from final
