-- Incremental like customer_lifecycle_monthly: a nightly build counts again the month ends
-- it evaluated again, from the month end before them on.
{{ config(
    materialized=incremental_where_supported(),
    unique_key='month_end',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    meta={'rewritten_rows': {'states_from': 'month_end'}},
) }}
{%- set evaluated_from = lifecycle_states_from() %}

with

customer_lifecycle_monthly as (

    select * from {{ ref('customer_lifecycle_monthly') }}
    {%- if evaluated_from %}
    -- The month end before the first one evaluated again is at most 31 days earlier.
    where month_end >= {{ dbt.dateadd('day', -31, "cast('" ~ evaluated_from ~ "' as date)") }}
    {%- endif %}

),

-- A customer has a row at every month end from signup on, so the previous row is the previous
-- month end; without one the customer had not signed up yet.
transitions as (

    select
        month_end,
        customer_id,
        coalesce(
            lag(stage) over (partition by customer_id order by month_end),
            'not_signed_up'
        ) as from_stage,
        stage as to_stage

    from customer_lifecycle_monthly

),

final as (

    select
        month_end,
        from_stage,
        to_stage,
        cast(count(*) as {{ dbt.type_int() }}) as customers

    from transitions
    where {{ states_from('month_end') }}
    group by
        month_end,
        from_stage,
        to_stage

)

select * from final
