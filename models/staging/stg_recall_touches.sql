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
        currency,
        _loaded_at as loaded_at

    from source

),

dated as (

    select
        *,
        cast(sent_at_local as date) as sent_date,
        cast({{ dbt.date_trunc('month', 'sent_at_local') }} as date) as sent_month,
        cast(opened_at_local as date) as opened_date,
        cast(clicked_at_local as date) as clicked_date,
        (not is_control and coalesce(delivered, false)) as is_delivery_reported

    from renamed

),

-- SPEC §6: a click counts as an open, and an open or a click as a delivery. Each event is
-- dated by the first local date from which the touch counts as having it (a reported delivery
-- from the send date), so a model cut at D keeps the events it knows with `date <= D`. A
-- control row is a holdout assignment: nothing was sent, so it has no events.
opens_counted as (

    select
        *,
        case when not is_control then clicked_date end as counts_as_clicked_date,
        case
            when is_control then null
            when opened_date is null or clicked_date < opened_date then clicked_date
            else opened_date
        end as counts_as_opened_date

    from dated

),

deliveries_counted as (

    select
        *,
        case
            when is_delivery_reported then sent_date
            else counts_as_opened_date
        end as counts_as_delivered_date

    from opens_counted

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
        sent_date,
        sent_month,
        opened_at,
        opened_date,
        clicked_at,
        clicked_date,
        is_delivery_reported,
        counts_as_delivered_date,
        counts_as_opened_date,
        counts_as_clicked_date,
        counts_as_delivered_date is not null as is_delivered,
        counts_as_opened_date is not null as is_opened,
        counts_as_clicked_date is not null as is_clicked,
        outcome,
        lapse_reason_code,
        cost,
        currency,
        loaded_at

    from deliveries_counted

)

select * from final
