-- The purchase rhythm of every customer with a qualifying purchase (SPEC §6.2): how many
-- distinct local dates they bought on (int_transactions_converted holds nothing after D), and
-- the interpolated median (percentile_cont) of the gaps in days between consecutive ones.
-- Several purchases on one day are one date, so they never add zero-day gaps; a one-date
-- customer has no gap, and a null median.
--
-- Incremental: a customer's rhythm changes only with the customer's own new transactions, so
-- a nightly build measures again only those customers (macro has_new_facts); early_warning
-- then reads one row per customer instead of every transaction.
{{ config(
    materialized=incremental_where_supported(),
    unique_key='customer_id',
    incremental_strategy='delete+insert',
) }}

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

purchase_dates_sequenced as (

    select
        customer_id,
        purchase_date,
        lag(purchase_date) over (
            partition by customer_id
            order by purchase_date
        ) as previous_purchase_date

    from purchase_dates

),

purchase_gaps as (

    select
        customer_id,
        {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
            as gap_days

    from purchase_dates_sequenced

),

-- The first date has no gap (null), which the aggregate ignores.
rhythms as (

    select
        customer_id,
        count(*) as purchase_dates,
        percentile_cont(0.5) within group (order by gap_days) as median_gap

    from purchase_gaps
    group by customer_id

),

-- A median of whole-day gaps is a whole or half day, so one decimal holds it exactly.
final as (

    select
        customer_id,
        cast(purchase_dates as {{ dbt.type_int() }}) as purchase_dates,
        cast(median_gap as decimal(18, 1)) as median_gap_days

    from rhythms

)

select * from final
