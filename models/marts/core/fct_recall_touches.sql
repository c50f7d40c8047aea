with

recall_touches as (

    select * from {{ ref('stg_recall_touches') }}

),

lapse_reasons as (

    select * from {{ ref('stg_lapse_reasons') }}

),

currency_rates_daily as (

    select * from {{ ref('int_currency_rates_daily') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

recall_attribution as (

    select * from {{ ref('int_recall_touches_attributed') }}

),

-- Touches and control rows sent on or before D; opens and clicks dated after D are not
-- known yet (SPEC §4).
touches_by_d as (

    select
        recall_touches.*,
        coalesce(recall_touches.clicked_date <= as_of.as_of_date, false) as is_clicked_by_d,
        coalesce(recall_touches.opened_date <= as_of.as_of_date, false) as is_opened_by_d

    from recall_touches
    cross join as_of
    where recall_touches.sent_date <= as_of.as_of_date

),

-- A click counts as an open and an open as a delivery (SPEC §6); a control row sends
-- nothing, so it has no events.
events_normalised as (

    select
        *,
        (not is_control and is_clicked_by_d) as is_clicked_normalised,
        (not is_control and (is_opened_by_d or is_clicked_by_d)) as is_opened_normalised,
        (
            not is_control
            and (is_delivery_reported or is_opened_by_d or is_clicked_by_d)
        ) as is_delivered_normalised

    from touches_by_d

),

final as (

    select
        events_normalised.touch_id,
        events_normalised.customer_id,
        events_normalised.campaign_id,
        events_normalised.channel,
        events_normalised.is_control,
        events_normalised.sent_at,
        events_normalised.sent_at_local,
        events_normalised.sent_date,
        events_normalised.sent_month,
        events_normalised.is_delivered_normalised as is_delivered,
        events_normalised.is_opened_normalised as is_opened,
        events_normalised.is_clicked_normalised as is_clicked,
        events_normalised.outcome,
        events_normalised.lapse_reason_code,
        case
            when events_normalised.lapse_reason_code is null then null
            else coalesce(lapse_reasons.reason_group, 'unmapped')
        end as lapse_reason_group,
        events_normalised.cost,
        events_normalised.currency,
        {{ to_reporting_currency(
            'events_normalised.cost',
            'events_normalised.currency',
            'currency_rates_daily.conversion_factor'
        ) }} as cost_reporting,
        coalesce(recall_attribution.is_eligible, false) as is_eligible,
        recall_attribution.r_at_touch,
        recall_attribution.lapse_band_number,
        recall_attribution.lapse_band,
        recall_attribution.value_score,
        recall_attribution.recall_tier,
        coalesce(recall_attribution.is_credited, false) as is_credited,
        recall_attribution.recall_transaction_id,
        recall_attribution.recall_purchase_at,
        recall_attribution.recalled_revenue

    from events_normalised
    left join lapse_reasons
        on events_normalised.lapse_reason_code = lapse_reasons.reason_code
    left join currency_rates_daily
        on
            events_normalised.sent_date = currency_rates_daily.rate_date
            and events_normalised.currency = currency_rates_daily.currency
    left join recall_attribution
        on events_normalised.touch_id = recall_attribution.touch_id

)

select * from final
