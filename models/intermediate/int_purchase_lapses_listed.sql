-- Every lapse of every customer (SPEC §6.3): between consecutive qualifying purchase dates L
-- and N (int_transactions_converted holds nothing after D), R reaches at_risk_days + 1 on
-- L + at_risk_days + 1, and the customer enters the pool that morning, provided that day is on
-- or before N, and leaves it on N; after the last purchase date the lapse has no return yet.
-- R is counted from the start of that day, so a next purchase on that very day still comes
-- after the lapse (a touch that morning would have been eligible): the customer enters and
-- leaves the pool the same day. A lapse after the last purchase is listed even when it begins
-- after D: lapsed_pool_monthly keeps those begun by D, so a later D needs no new row.
--
-- Incremental: a customer's lapses change only with the customer's own new transactions, so a
-- nightly build lists again only those customers (macro has_new_facts); each keeps at least
-- the lapse after the last purchase, so the rows replaced always cover the old ones.
{{ config(
    materialized=incremental_where_supported(),
    unique_key='customer_id',
    incremental_strategy='delete+insert',
) }}
{%- set dormant_after_days = (var('at_risk_days') | int) + 1 %}

with

transactions as (

    select * from {{ ref('int_transactions_converted') }}

),

purchase_dates as (

    select distinct
        customer_id,
        occurred_date as purchase_date

    from transactions
    where
        is_qualifying_purchase
        and {{ has_new_facts('customer_id', ref('int_transactions_converted')) }}

),

purchase_gaps as (

    select
        customer_id,
        lead(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as next_purchase_date,
        cast({{ dbt.dateadd('day', dormant_after_days, 'purchase_date') }} as date)
            as dormant_from_date

    from purchase_dates

),

final as (

    select
        customer_id,
        dormant_from_date as became_dormant_date,
        next_purchase_date as return_date

    from purchase_gaps
    where
        next_purchase_date is null
        or dormant_from_date <= next_purchase_date

)

select * from final
