with

lapse_reasons as (

    select * from {{ ref('lapse_reasons') }}

),

final as (

    select
        lower(trim(reason_code)) as reason_code,
        lower(trim(reason_group)) as reason_group,
        label as reason_label

    from lapse_reasons

)

select * from final
