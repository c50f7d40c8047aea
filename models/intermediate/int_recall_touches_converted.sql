-- Every recall touch and holdout (control) row sent on or before D, as known at D (SPEC §4):
-- an open or a click dated after D is not known yet, so each event counts when the date from
-- which stg_recall_touches counts it (SPEC §6: a click counts as an open, an open or a click as
-- a delivery) is on or before D. Each row also gets the group its lapse-reason code rolls up to
-- (SPEC §6 "Reasons": an unknown code rolls up to `unmapped`) and its own cost in the reporting
-- currency at the rate of its send date (SPEC §4, macro to_reporting_currency). A row's events
-- may become known after it was sent, as D moves on: last_event_date says until when.
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

touches_by_d as (

    select
        recall_touches.touch_id,
        recall_touches.customer_id,
        recall_touches.campaign_id,
        recall_touches.channel,
        recall_touches.is_control,
        recall_touches.sent_at,
        recall_touches.sent_at_local,
        recall_touches.sent_date,
        recall_touches.sent_month,
        coalesce(
            recall_touches.counts_as_delivered_date <= as_of.as_of_date, false
        ) as is_delivered,
        coalesce(recall_touches.counts_as_opened_date <= as_of.as_of_date, false) as is_opened,
        coalesce(
            recall_touches.counts_as_clicked_date <= as_of.as_of_date, false
        ) as is_clicked,
        recall_touches.outcome,
        recall_touches.lapse_reason_code,
        recall_touches.cost,
        recall_touches.currency,
        greatest(
            recall_touches.sent_date,
            recall_touches.counts_as_delivered_date,
            recall_touches.counts_as_opened_date,
            recall_touches.counts_as_clicked_date
        ) as last_event_date,
        recall_touches.loaded_at

    from recall_touches
    cross join as_of
    where recall_touches.sent_date <= as_of.as_of_date

),

final as (

    select
        touches_by_d.touch_id,
        touches_by_d.customer_id,
        touches_by_d.campaign_id,
        touches_by_d.channel,
        touches_by_d.is_control,
        touches_by_d.sent_at,
        touches_by_d.sent_at_local,
        touches_by_d.sent_date,
        touches_by_d.sent_month,
        touches_by_d.is_delivered,
        touches_by_d.is_opened,
        touches_by_d.is_clicked,
        touches_by_d.outcome,
        touches_by_d.lapse_reason_code,
        case
            when touches_by_d.lapse_reason_code is null then null
            else coalesce(lapse_reasons.reason_group, 'unmapped')
        end as lapse_reason_group,
        touches_by_d.cost,
        touches_by_d.currency,
        {{ to_reporting_currency(
            'touches_by_d.cost',
            'touches_by_d.currency',
            'currency_rates_daily.conversion_factor'
        ) }} as cost_reporting,
        touches_by_d.last_event_date,
        touches_by_d.loaded_at

    from touches_by_d
    left join lapse_reasons
        on touches_by_d.lapse_reason_code = lapse_reasons.reason_code
    left join currency_rates_daily
        on
            touches_by_d.sent_date = currency_rates_daily.rate_date
            and touches_by_d.currency = currency_rates_daily.currency

)

select * from final
