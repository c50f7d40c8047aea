{#- SPEC §6.2 fires the gap rule at R > 1.5 x the median gap (var early_warning_gap_multiplier). -#}
{%- set gap_multiplier = var('early_warning_gap_multiplier') -%}

with

customer_lifecycle as (

    select * from {{ ref('customer_lifecycle') }}

),

transactions as (

    select * from {{ ref('int_transactions_converted') }}

),

-- Only customers buying recently enough to count as new, active or reactivated can drift;
-- at_risk and later stages are already lapsing and belong to the recall lists.
recent_customers as (

    select * from customer_lifecycle
    where stage in ('new', 'active', 'reactivated')

),

-- Distinct qualifying purchase dates (int_transactions_converted holds nothing after D) of
-- the recent customers, the only ones whose rhythm is needed: several purchases on one day
-- are one date, so they never add zero-day gaps.
purchase_dates as (

    select distinct
        transactions.customer_id,
        transactions.occurred_date as purchase_date

    from transactions
    inner join recent_customers
        on transactions.customer_id = recent_customers.customer_id
    where transactions.is_qualifying_purchase

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
        purchase_date,
        {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
            as gap_days

    from purchase_dates_sequenced

),

-- The interpolated median (percentile_cont) of the gaps between consecutive dates; the first
-- date has no gap (null), which the aggregate ignores, so one-date customers get null.
purchase_rhythm as (

    select
        customer_id,
        count(*) as purchase_date_count,
        percentile_cont(0.5) within group (order by gap_days) as median_gap

    from purchase_gaps
    group by customer_id

),

-- A median of whole-day gaps is a whole or half day, so one decimal holds it exactly and the
-- comparison with R runs in exact decimal arithmetic.
rhythm_measured as (

    select
        recent_customers.customer_id,
        recent_customers.as_of_date,
        recent_customers.stage,
        recent_customers.r_days,
        recent_customers.last_purchase_date,
        recent_customers.value_score,
        purchase_rhythm.purchase_date_count,
        cast(purchase_rhythm.median_gap as decimal(18, 1)) as median_gap_days,
        cast(ceil(purchase_rhythm.median_gap) as {{ dbt.type_int() }}) as usual_gap_days

    from recent_customers
    inner join purchase_rhythm
        on recent_customers.customer_id = purchase_rhythm.customer_id

),

-- SPEC §6.2: with two or more purchase dates, R > 1.5 x the median gap; with one, R >
-- active_days / 2, compared as 2 x R > active_days so no engine can divide in integers.
rules_applied as (

    select
        *,
        case
            when
                purchase_date_count >= 2
                and r_days > {{ gap_multiplier }} * median_gap_days
                then 'overdue_vs_median_gap'
            when
                purchase_date_count = 1
                and 2 * r_days > {{ var('active_days') }}
                then 'single_purchase_date_quiet'
        end as rule

    from rhythm_measured

),

final as (

    select
        customer_id,
        as_of_date,
        stage,
        r_days,
        last_purchase_date,
        cast(purchase_date_count as {{ dbt.type_int() }}) as purchase_dates,
        median_gap_days,
        rule,
        value_score,
        cast(
            {{ dbt.dateadd('day', 'usual_gap_days', 'last_purchase_date') }} as date
        ) as expected_next_purchase_date,
        cast(r_days - usual_gap_days as {{ dbt.type_int() }}) as days_overdue

    from rules_applied
    where rule is not null

)

select * from final
