-- Orders (qualifying purchases) and net revenue of every customer with a transaction on or
-- before D, lifetime and in the value_window_days days up to and including D (D - 364 .. D by
-- default; SPEC §5.1 outputs). customer_lifecycle reads it. int_transactions_converted holds
-- nothing after D.
--
-- Incremental, so that a nightly build reads a few customers' transactions instead of all of
-- them: a customer's totals change only with a new transaction of theirs (macro new_facts), or
-- when one of their transactions leaves the window as D moves on, i.e. is dated from the window
-- start of the last build (its as_of_date) up to the day before this one's. A build never moves
-- D back incrementally (orchestration/transform/build_state.py).
{{ config(
    materialized=incremental_where_supported(),
    unique_key='customer_id',
    incremental_strategy='delete+insert',
) }}
{%- set value_window_days = var('value_window_days') | int %}

with

transactions as (

    select * from {{ ref('int_transactions_converted') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),
{%- if is_incremental() %}

last_build as (

    select max(as_of_date) as as_of_date from {{ this }}

),

recomputed_customers as (

    select customer_id from transactions
    where {{ new_facts() }}

    union

    select transactions.customer_id
    from transactions
    cross join last_build
    cross join as_of
    where
        transactions.occurred_date
        >= {{ dbt.dateadd('day', 1 - value_window_days, 'last_build.as_of_date') }}
        and transactions.occurred_date
        < {{ dbt.dateadd('day', 1 - value_window_days, 'as_of.as_of_date') }}

),
{%- endif %}

final as (

    select
        transactions.customer_id,
        as_of.as_of_date,
        cast(
            sum(case when transactions.is_qualifying_purchase then 1 else 0 end)
            as {{ dbt.type_int() }}
        ) as lifetime_orders,
        cast(sum(transactions.signed_amount_reporting) as decimal(18, 2))
            as lifetime_net_revenue_reporting,
        cast(
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
            ) as {{ dbt.type_int() }}
        ) as orders_365d,
        cast(
            sum(
                case
                    when
                        {{ is_in_day_window(
                            'transactions.occurred_date', 'as_of.as_of_date', value_window_days
                        ) }}
                        then transactions.signed_amount_reporting
                    else 0
                end
            ) as decimal(18, 2)
        ) as net_revenue_365d_reporting

    from transactions
    cross join as_of
    {%- if is_incremental() %}
    where transactions.customer_id in (select customer_id from recomputed_customers)
    {%- endif %}
    group by
        transactions.customer_id,
        as_of.as_of_date

)

select * from final
