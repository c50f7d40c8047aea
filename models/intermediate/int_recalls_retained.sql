-- Retention of recalled customers (SPEC §6.1 retained_m1, retained_m2, retained_m3): for every
-- credited touch, whether its customer made a qualifying purchase in the 1st, 2nd and 3rd
-- calendar month (reporting timezone) after the month of the recall purchase. Nothing after D
-- exists, so the figures of a month still running can only grow; int_recall_months_listed says
-- when they are final (retention_is_final).
--
-- A table, not a view: it is small, and as a view its data tests and each model that reads it
-- ran it again.
{{ config(materialized='table') }}

with

recall_touches as (

    select * from {{ ref('int_recall_touches_attributed') }}

),

transactions as (

    select * from {{ ref('int_transactions_converted') }}

),

recalls as (

    select
        recall_touches.touch_id,
        recall_touches.customer_id,
        recall_purchases.occurred_month as recall_month

    from recall_touches
    inner join transactions as recall_purchases
        on recall_touches.recall_transaction_id = recall_purchases.transaction_id
    where recall_touches.is_credited

),

-- The months after the recall month with a qualifying purchase of the recalled customer.
months_after_recall as (

    select
        recalls.touch_id,
        {{ dbt.datediff('recalls.recall_month', 'purchases.occurred_month', 'month') }}
            as months_after

    from recalls
    left join transactions as purchases
        on
            recalls.customer_id = purchases.customer_id
            and recalls.recall_month < purchases.occurred_month
            and purchases.is_qualifying_purchase

),

final as (

    select
        touch_id,
        max(case when months_after = 1 then 1 else 0 end) = 1 as is_retained_m1,
        max(case when months_after = 2 then 1 else 0 end) = 1 as is_retained_m2,
        max(case when months_after = 3 then 1 else 0 end) = 1 as is_retained_m3

    from months_after_recall
    group by touch_id

)

select * from final
