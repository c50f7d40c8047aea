-- Published as int_transactions_converted builds it (SPEC §9 fct_transactions), less its load
-- time. A view: the publication copies it into the BI file as a table, so the warehouse need
-- not hold a second copy of every transaction (20M rows at 1M customers).
{{ config(
    materialized='view',
    meta={'rewritten_rows': {'new_facts_of': 'int_transactions_converted', 'key': 'transaction_id'}},
) }}

with

transactions as (

    select * from {{ ref('int_transactions_converted') }}

),

final as (

    select
        transaction_id,
        customer_id,
        occurred_at,
        occurred_at_local,
        occurred_date,
        occurred_month,
        kind,
        amount,
        currency,
        amount_reporting,
        signed_amount_reporting,
        is_qualifying_purchase,
        store_or_channel,
        category

    from transactions

)

select * from final
