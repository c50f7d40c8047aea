with

customer_states as (

    select * from {{ ref('int_customer_states_evaluated') }}

),

customers as (

    select * from {{ ref('int_customer_records_selected') }}

),

customer_totals as (

    select * from {{ ref('int_customer_totals_summed') }}

),

recall_tier_matrix as (

    select * from {{ ref('stg_recall_tier_matrix') }}

),

states_at_d as (

    select * from customer_states
    where is_as_of_date

),

lapse_banded as (

    select
        *,
        {{ lapse_band_number('r_days') }} as lapse_band_number

    from states_at_d

),

final as (

    select
        lapse_banded.customer_id,
        lapse_banded.evaluation_date as as_of_date,
        customers.signup_date,
        lapse_banded.stage,
        lapse_banded.r_days,
        lapse_banded.first_purchase_date,
        lapse_banded.last_purchase_date,
        cast(coalesce(customer_totals.lifetime_orders, 0) as {{ dbt.type_int() }})
            as lifetime_orders,
        cast(coalesce(customer_totals.lifetime_net_revenue_reporting, 0) as decimal(18, 2))
            as lifetime_net_revenue_reporting,
        cast(coalesce(customer_totals.orders_365d, 0) as {{ dbt.type_int() }}) as orders_365d,
        cast(coalesce(customer_totals.net_revenue_365d_reporting, 0) as decimal(18, 2))
            as net_revenue_365d_reporting,
        -- Two distinct purchase dates at least: the first and the last differ.
        coalesce(lapse_banded.first_purchase_date < lapse_banded.last_purchase_date, false)
            as is_repeat,
        lapse_banded.f_value,
        lapse_banded.m_value,
        lapse_banded.f_score,
        lapse_banded.m_score,
        lapse_banded.value_score,
        cast(lapse_banded.lapse_band_number as {{ dbt.type_int() }}) as lapse_band_number,
        {{ lapse_band_label('lapse_banded.lapse_band_number') }} as lapse_band,
        recall_tier_matrix.recall_tier

    from lapse_banded
    inner join customers
        on lapse_banded.customer_id = customers.customer_id
    left join customer_totals
        on lapse_banded.customer_id = customer_totals.customer_id
    {{ join_recall_tier(
        'recall_tier_matrix', 'lapse_banded.value_score', 'lapse_banded.lapse_band_number'
    ) }}

)

select * from final
