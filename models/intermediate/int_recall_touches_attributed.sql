-- Every recall touch and holdout (control) row sent on or before D (int_recall_touches_converted)
-- with the customer's R at the touch, its eligibility (dormant or lapsed at sent_at), lapse band
-- and tier at the touch, and last-touch recall attribution (SPEC §6 "Touch", "Tier at a touch",
-- "Recall"), plus what the Effect metric needs: the end of the row's attribution window and the
-- customer's first qualifying purchase after it. fct_recall_touches publishes this model; the
-- recall KPI steps, the lapsed pool and the lapse tiers read it.
--
-- A table, not a view like the rest of the folder: fct_recall_touches and the recall steps all
-- read it, and as a view its purchase joins ran once for each. Incremental: a customer's rows
-- depend only on the customer's own purchases and touches, the events known at D and the value
-- scores at month ends, so a nightly build works out again only the customers with a new
-- transaction or touch, or with a touch that the dates evaluated again (macro states_from) can
-- change: an event dated from then on, or a tier read at a month end from then on.
{{ config(
    materialized=incremental_where_supported(),
    unique_key='touch_id',
    incremental_strategy='delete+insert',
) }}
{%- set attribution_window_hours = (var('attribution_window_days') | int) * 24 %}
{%- set evaluated_from = lifecycle_states_from() %}

with

recall_touches_converted as (

    select * from {{ ref('int_recall_touches_converted') }}

),

transactions_converted as (

    select * from {{ ref('int_transactions_converted') }}

),
{%- if evaluated_from %}

-- A nightly build: the customers whose rows can change. A touch's tier reads the month end
-- before its send date, so a touch whose events end before the first date evaluated again
-- reads a month end that was not.
recomputed_customers as (

    select customer_id from transactions_converted
    where {{ new_facts() }}

    union

    select customer_id from recall_touches_converted
    where
        {{ new_facts(occurred_at='sent_at') }}
        or last_event_date >= cast('{{ evaluated_from }}' as date)

),
{%- endif %}

recall_touches as (

    select * from recall_touches_converted
    {%- if evaluated_from %}
    where customer_id in (select recomputed_customers.customer_id from recomputed_customers)
    {%- endif %}

),

transactions as (

    select * from transactions_converted
    {%- if evaluated_from %}
    where customer_id in (select recomputed_customers.customer_id from recomputed_customers)
    {%- endif %}

),

customer_states as (

    select * from {{ ref('int_customer_states_evaluated') }}

),

recall_tier_matrix as (

    select * from {{ ref('stg_recall_tier_matrix') }}

),

touches_windowed as (

    select
        *,
        {{ dbt.dateadd('hour', attribution_window_hours, 'sent_at') }}
            as attribution_window_ends_at

    from recall_touches

),

-- Touches and transactions are already cut at D.
qualifying_purchases as (

    select
        transaction_id,
        customer_id,
        occurred_at,
        occurred_date

    from transactions
    where is_qualifying_purchase

),

-- The last qualifying purchase strictly before sent_at (a timestamp comparison; R counts
-- local dates) and the first one strictly after it (for the Effect metric). A customer who
-- never bought has no R and cannot be dormant or lapsed.
purchases_around_touch as (

    select
        touches_windowed.touch_id,
        max(
            case
                when qualifying_purchases.occurred_at < touches_windowed.sent_at
                    then qualifying_purchases.occurred_date
            end
        ) as last_purchase_date,
        min(
            case
                when qualifying_purchases.occurred_at > touches_windowed.sent_at
                    then qualifying_purchases.occurred_at
            end
        ) as next_purchase_at

    from touches_windowed
    inner join qualifying_purchases
        on touches_windowed.customer_id = qualifying_purchases.customer_id
    group by touches_windowed.touch_id

),

touches_with_r as (

    select
        touches_windowed.*,
        purchases_around_touch.last_purchase_date,
        purchases_around_touch.next_purchase_at,
        cast(
            {{ dbt.datediff('purchases_around_touch.last_purchase_date',
                'touches_windowed.sent_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as r_at_touch

    from touches_windowed
    left join purchases_around_touch
        on touches_windowed.touch_id = purchases_around_touch.touch_id

),

-- Eligible: dormant or lapsed at sent_at, R > at_risk_days (SPEC §6).
touches_eligibility as (

    select
        *,
        coalesce(r_at_touch > {{ var('at_risk_days') }}, false) as is_eligible,
        {{ lapse_band_number('r_at_touch') }} as lapse_band_number,
        -- The latest month end strictly before the local send date.
        cast({{ dbt.dateadd('day', -1, 'sent_month') }} as date) as tier_month_end

    from touches_with_r

),

-- Tier matrix on the value_score at tier_month_end and the band of R; only eligible rows
-- get a tier, and none without a value score at that month end.
touches_tiered as (

    select
        touches_eligibility.*,
        customer_states.value_score,
        case
            when touches_eligibility.is_eligible then recall_tier_matrix.recall_tier
        end as recall_tier

    from touches_eligibility
    left join customer_states
        on
            touches_eligibility.customer_id = customer_states.customer_id
            and touches_eligibility.tier_month_end = customer_states.evaluation_date
            and customer_states.is_month_end
    {{ join_recall_tier(
        'recall_tier_matrix',
        'customer_states.value_score',
        'touches_eligibility.lapse_band_number'
    ) }}

),

eligible_touches as (

    select * from touches_tiered
    where is_eligible and not is_control

),

-- Last touch: each qualifying purchase looks back to the latest eligible touch sent strictly
-- before it (ties on sent_at to the greater touch_id).
purchases_latest_touch as (

    select
        qualifying_purchases.transaction_id,
        qualifying_purchases.occurred_at,
        qualifying_purchases.occurred_date,
        eligible_touches.touch_id,
        eligible_touches.attribution_window_ends_at,
        row_number() over (
            partition by qualifying_purchases.transaction_id
            order by eligible_touches.sent_at desc, eligible_touches.touch_id desc
        ) as touch_recency_rank

    from qualifying_purchases
    inner join eligible_touches
        on
            qualifying_purchases.customer_id = eligible_touches.customer_id
            and qualifying_purchases.occurred_at > eligible_touches.sent_at

),

-- The window is inclusive: a purchase at exactly sent_at + window is a recall. The first
-- such purchase of a touch is its recall; later purchases of the same customer fall under
-- touches that are ineligible (the recall purchase makes R small again).
recall_candidates as (

    select
        touch_id,
        transaction_id,
        occurred_at,
        occurred_date,
        attribution_window_ends_at,
        row_number() over (
            partition by touch_id
            order by occurred_at, transaction_id
        ) as purchase_order

    from purchases_latest_touch
    where
        touch_recency_rank = 1
        and occurred_at <= attribution_window_ends_at

),

recalls as (

    select
        recall_candidates.touch_id,
        recall_candidates.transaction_id as recall_transaction_id,
        recall_candidates.occurred_at as recall_purchase_at,
        recall_candidates.occurred_date as recall_purchase_date,
        recall_candidates.attribution_window_ends_at

    from recall_candidates
    where recall_candidates.purchase_order = 1

),

-- Net revenue (refunds negative) of the customer from the recall purchase up to the end of
-- the credited touch's window, all transaction kinds.
recalled_revenues as (

    select
        recalls.touch_id,
        sum(transactions.signed_amount_reporting) as recalled_revenue

    from recalls
    inner join eligible_touches
        on recalls.touch_id = eligible_touches.touch_id
    inner join transactions
        on
            eligible_touches.customer_id = transactions.customer_id
            and recalls.recall_purchase_at <= transactions.occurred_at
            and recalls.attribution_window_ends_at >= transactions.occurred_at
    group by recalls.touch_id

),

final as (

    select
        touches_tiered.touch_id,
        touches_tiered.customer_id,
        touches_tiered.campaign_id,
        touches_tiered.channel,
        touches_tiered.is_control,
        touches_tiered.sent_at,
        touches_tiered.sent_at_local,
        touches_tiered.sent_date,
        touches_tiered.sent_month,
        touches_tiered.is_delivered,
        touches_tiered.is_opened,
        touches_tiered.is_clicked,
        touches_tiered.outcome,
        touches_tiered.lapse_reason_code,
        touches_tiered.lapse_reason_group,
        touches_tiered.cost,
        touches_tiered.currency,
        touches_tiered.cost_reporting,
        touches_tiered.attribution_window_ends_at,
        touches_tiered.last_purchase_date,
        touches_tiered.r_at_touch,
        touches_tiered.is_eligible,
        cast(touches_tiered.lapse_band_number as {{ dbt.type_int() }}) as lapse_band_number,
        {{ lapse_band_label('touches_tiered.lapse_band_number') }} as lapse_band,
        touches_tiered.tier_month_end,
        touches_tiered.value_score,
        touches_tiered.recall_tier,
        recalls.touch_id is not null as is_credited,
        recalls.recall_transaction_id,
        recalls.recall_purchase_at,
        recalls.recall_purchase_date,
        cast(recalled_revenues.recalled_revenue as decimal(18, 2)) as recalled_revenue,
        touches_tiered.next_purchase_at,
        -- Effect (SPEC §6): a qualifying purchase follows within the window of this row.
        case
            when touches_tiered.is_eligible
                then coalesce(
                        touches_tiered.next_purchase_at
                        <= touches_tiered.attribution_window_ends_at,
                        false
                    )
        end as has_returned_in_window

    from touches_tiered
    left join recalls
        on touches_tiered.touch_id = recalls.touch_id
    left join recalled_revenues
        on touches_tiered.touch_id = recalled_revenues.touch_id

)

select * from final
