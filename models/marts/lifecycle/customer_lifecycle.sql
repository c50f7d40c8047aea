{%- set value_window_days = var('value_window_days') | int -%}

with

customer_states as (

    select * from {{ ref('int_customer_states_evaluated') }}

),

customers as (

    select * from {{ ref('int_customer_records_selected') }}

),

transactions as (

    select * from {{ ref('int_transactions_converted') }}

),

recall_tier_matrix as (

    select * from {{ ref('stg_recall_tier_matrix') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

states_at_d as (

    select * from customer_states
    where is_as_of_date

),

-- Orders and net revenue, lifetime and in the value_window_days days up to and including D
-- (D - 364 .. D by default); int_transactions_converted holds nothing after D.
customer_totals as (

    select
        transactions.customer_id,
        sum(
            case when transactions.is_qualifying_purchase then 1 else 0 end
        ) as lifetime_orders,
        sum(transactions.signed_amount_reporting) as lifetime_net_revenue_reporting,
        sum(
            case
                when
                    transactions.is_qualifying_purchase
                    and {{ is_in_day_window(
                        'transactions.occurred_date', 'as_of.as_of_date', value_window_days
                    ) }}
                    then 1
                else 0
            end
        ) as orders_365d,
        sum(
            case
                when
                    {{ is_in_day_window(
                        'transactions.occurred_date', 'as_of.as_of_date', value_window_days
                    ) }}
                    then transactions.signed_amount_reporting
                else 0
            end
        ) as net_revenue_365d_reporting

    from transactions
    cross join as_of
    group by transactions.customer_id

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
