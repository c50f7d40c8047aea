{#- SPEC §6.2 fires the gap rule at R > 1.5 x the median gap (var early_warning_gap_multiplier). -#}
{%- set gap_multiplier = var('early_warning_gap_multiplier') -%}

with

customer_lifecycle as (

    select * from {{ ref('customer_lifecycle') }}

),

purchase_rhythms as (

    select * from {{ ref('int_purchase_rhythms_measured') }}

),

-- Only customers buying recently enough to count as new, active or reactivated can drift;
-- at_risk and later stages are already lapsing and belong to the recall lists.
recent_customers as (

    select * from customer_lifecycle
    where stage in ('new', 'active', 'reactivated')

),

-- The usual gap, rounded up to whole days, dates the next purchase.
rhythm_measured as (

    select
        recent_customers.customer_id,
        recent_customers.as_of_date,
        recent_customers.stage,
        recent_customers.r_days,
        recent_customers.last_purchase_date,
        recent_customers.value_score,
        purchase_rhythms.purchase_dates as purchase_date_count,
        purchase_rhythms.median_gap_days,
        cast(ceil(purchase_rhythms.median_gap_days) as {{ dbt.type_int() }}) as usual_gap_days

    from recent_customers
    inner join purchase_rhythms
        on recent_customers.customer_id = purchase_rhythms.customer_id

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
