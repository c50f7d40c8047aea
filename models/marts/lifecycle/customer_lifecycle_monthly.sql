-- Every customer at every month end on or before D, from the month end on or after signup
-- (SPEC §5.1): D's own month only when D is its last day. Incremental like
-- int_customer_states_evaluated: a nightly build replaces the month ends it evaluated again.
{{ config(
    materialized=incremental_where_supported(),
    unique_key='month_end',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    meta={'rewritten_rows': {'states_from': 'month_end'}},
) }}
with

customer_states as (

    select * from {{ ref('int_customer_states_evaluated') }}
    where {{ states_from('evaluation_date') }}

),

final as (

    select
        evaluation_date as month_end,
        customer_id,
        stage,
        r_days,
        value_score

    from customer_states
    where is_month_end

)

select * from final
