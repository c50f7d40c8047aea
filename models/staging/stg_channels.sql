with

channels as (

    select * from {{ ref('channels') }}

),

final as (

    select
        lower(trim(channel)) as channel,
        label as channel_label,
        is_outreach

    from channels

)

select * from final
