-- Customers newly lapsed in each month (SPEC §6.1 newly_lapsed): in stage lapsed (not dormant) at
-- the month's closing date (its month end, D standing in for the end of D's month) but not at the
-- previous month end. Months without any are absent (zero).
--
-- A table, not a view: it is small, and as a view its data tests and each model that reads it
-- ran it again.
{{ config(materialized='table') }}

with

months as (

    select * from {{ ref('int_recall_months_listed') }}

),

customer_states as (

    select * from {{ ref('int_customer_states_evaluated') }}

),

lapsed_states as (

    select
        customer_id,
        evaluation_date

    from customer_states
    where stage = 'lapsed'

),

final as (

    select
        months.month_start,
        count(*) as newly_lapsed

    from months
    inner join lapsed_states as lapsed_at_close
        on months.closing_date = lapsed_at_close.evaluation_date
    left join lapsed_states as lapsed_before
        on
            lapsed_at_close.customer_id = lapsed_before.customer_id
            and months.previous_month_end = lapsed_before.evaluation_date
    where lapsed_before.customer_id is null
    group by months.month_start

)

select * from final
