with

source as (

    select * from {{ source('raw', 'recall_touches') }}

),

renamed as (

    select
        touch_id,
        contact_id as customer_id,
        campaign_id,
        channel,
        channel = 'control' as is_control,
        sent_at,
        {{ to_reporting_tz('sent_at') }} as sent_at_local,
        opened_at,
        {{ to_reporting_tz('opened_at') }} as opened_at_local,
        clicked_at,
        {{ to_reporting_tz('clicked_at') }} as clicked_at_local,
        delivered,
        outcome,
        lapse_reason_code,
        cast(cost as decimal(18, 4)) as cost,
        currency

    from source

),

final as (

    select
        touch_id,
        customer_id,
        campaign_id,
        channel,
        is_control,
        sent_at,
        sent_at_local,
        cast(sent_at_local as date) as sent_date,
        cast({{ dbt.date_trunc('month', 'sent_at_local') }} as date) as sent_month,
        opened_at,
        cast(opened_at_local as date) as opened_date,
        clicked_at,
        cast(clicked_at_local as date) as clicked_date,
        -- A click counts as an open, and an open or a click as a delivery (SPEC §6).
        -- A control row is a holdout assignment: nothing was sent, so no events.
        (not is_control and coalesce(delivered, false)) as is_delivery_reported,
        (
            not is_control
            and (coalesce(delivered, false) or opened_at is not null or clicked_at is not null)
        ) as is_delivered,
        (not is_control and (opened_at is not null or clicked_at is not null)) as is_opened,
        (not is_control and clicked_at is not null) as is_clicked,
        outcome,
        lapse_reason_code,
        cost,
        currency

    from renamed

)

select * from final
