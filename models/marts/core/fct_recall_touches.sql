-- Published as int_recall_touches_attributed builds it (SPEC §9 fct_recall_touches), without
-- the columns only the recall steps use (attribution window, next purchase, tier month end).
with

recall_touches as (

    select * from {{ ref('int_recall_touches_attributed') }}

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
        is_delivered,
        is_opened,
        is_clicked,
        outcome,
        lapse_reason_code,
        lapse_reason_group,
        cost,
        currency,
        cost_reporting,
        is_eligible,
        r_at_touch,
        lapse_band_number,
        lapse_band,
        value_score,
        recall_tier,
        is_credited,
        recall_transaction_id,
        recall_purchase_at,
        recalled_revenue

    from recall_touches

)

select * from final
