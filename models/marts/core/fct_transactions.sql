-- Published as int_transactions_converted builds it (SPEC §9 fct_transactions); like it,
-- a nightly build adds only the new facts (macro new_facts).
{{ config(
    materialized='incremental',
    unique_key='transaction_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
with

transactions as (

    select * from {{ ref('int_transactions_converted') }}
    where {{ new_facts() }}

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
