with

recall_touches as (

    select * from {{ ref('int_recall_touches_attributed') }}

),

-- Eligible touches carrying a reason code (SPEC §6 "Reasons"). Control rows send nothing and
-- ineligible touches are never part of a recall figure; a touch without a code has no reason
-- to count. An eligible touch without a tier (no value_score at the month end before it) is
-- kept as `unscored`, so the `all` row is the union of its tier rows.
reasoned_touches as (

    select
        touch_id,
        customer_id,
        sent_month,
        lapse_reason_group,
        lapse_reason_code,
        {{ recall_tier_key('recall_tier') }} as recall_tier_label

    from recall_touches
    where
        is_eligible
        and not is_control
        and lapse_reason_code is not null

),

-- Two grouping sets: month x group x code x tier, and month x group x code over every tier
-- (rollup of the tier, labelled through grouping()). The `all` row counts its distinct
-- customers itself, so a customer touched in two tiers counts once, never summed.
counted_by_tier as (

    select
        sent_month,
        lapse_reason_group,
        lapse_reason_code,
        case
            when grouping(recall_tier_label) = 1 then 'all'
            else recall_tier_label
        end as recall_tier_or_all,
        count(*) as eligible_touches,
        count(distinct customer_id) as customers

    from reasoned_touches
    group by
        sent_month,
        lapse_reason_group,
        lapse_reason_code,
        rollup(recall_tier_label)

),

final as (

    select
        sent_month as month,
        lapse_reason_group as reason_group,
        lapse_reason_code as reason_code,
        recall_tier_or_all as recall_tier,
        cast(eligible_touches as {{ dbt.type_int() }}) as eligible_touches,
        cast(customers as {{ dbt.type_int() }}) as customers

    from counted_by_tier

)

select * from final
