{%- set touch_window_days = var('touch_window_days') | int -%}

with

customer_lifecycle as (

    select * from {{ ref('customer_lifecycle') }}

),

customers as (

    select * from {{ ref('int_customer_records_selected') }}

),

recall_touches as (

    select * from {{ ref('int_recall_touches_attributed') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

lapsed_customers as (

    select * from customer_lifecycle
    where stage in ('dormant', 'lapsed')

),

-- Touches sent on or before D (int_recall_touches_attributed holds nothing later); control
-- rows send nothing, so they are not touches. The touch_window_days days up to and including
-- D are D - 29 .. D (by default); those ending on D + 1 are D - 28 .. D + 1, of which nothing
-- after D exists yet.
touches as (

    select
        recall_touches.customer_id,
        recall_touches.sent_date,
        {{ dbt.datediff('recall_touches.sent_date', 'as_of.as_of_date', 'day') }}
            as days_before_d,
        {{ is_in_day_window(
            'recall_touches.sent_date', 'as_of.as_of_date', touch_window_days
        ) }} as is_in_touch_window,
        {{ is_in_day_window(
            'recall_touches.sent_date',
            dbt.dateadd('day', 1, 'as_of.as_of_date'),
            touch_window_days
        ) }} as is_in_next_day_touch_window

    from recall_touches
    cross join as_of
    where not recall_touches.is_control

),

touch_counts as (

    select
        customer_id,
        max(sent_date) as last_touch_date,
        min(days_before_d) as days_since_last_touch,
        sum(case when is_in_touch_window then 1 else 0 end) as touches_last_30d,
        sum(case when is_in_next_day_touch_window then 1 else 0 end) as touches_30d_to_next_day

    from touches
    group by customer_id

),

channels_listed as (

    select
        lapsed_customers.*,
        customers.is_sms_opt_in,
        customers.is_push_opt_in,
        customers.is_email_opt_in,
        customers.is_phone_opt_in,
        concat_ws(
            ',',
            case when customers.is_sms_opt_in then 'sms' end,
            case when customers.is_push_opt_in then 'push' end,
            case when customers.is_email_opt_in then 'email' end,
            case when customers.is_phone_opt_in then 'phone' end
        ) as contactable_channels

    from lapsed_customers
    inner join customers
        on lapsed_customers.customer_id = customers.customer_id

),

final as (

    select
        channels_listed.customer_id,
        channels_listed.as_of_date,
        channels_listed.stage,
        channels_listed.r_days,
        channels_listed.last_purchase_date,
        channels_listed.lapse_band_number,
        channels_listed.lapse_band,
        channels_listed.value_score,
        channels_listed.recall_tier,
        channels_listed.contactable_channels,
        channels_listed.is_sms_opt_in,
        channels_listed.is_push_opt_in,
        channels_listed.is_email_opt_in,
        channels_listed.is_phone_opt_in,
        touch_counts.last_touch_date,
        cast(coalesce(touch_counts.touches_last_30d, 0) as {{ dbt.type_int() }})
            as touches_last_30d,
        cast(coalesce(touch_counts.touches_30d_to_next_day, 0) as {{ dbt.type_int() }})
            as touches_30d_to_next_day,
        (
            coalesce(touch_counts.touches_30d_to_next_day, 0) < {{ var('max_touches_30d') }}
            and (
                touch_counts.last_touch_date is null
                -- days from the last touch to D + 1
                or touch_counts.days_since_last_touch + 1
                >= {{ var('min_days_between_touches') }}
            )
        ) as can_touch_next_day

    from channels_listed
    left join touch_counts
        on channels_listed.customer_id = touch_counts.customer_id

)

select * from final
