-- Lifecycle stage (SPEC §5.1) and value (SPEC §5.2) of every customer at every evaluation
-- date E (int_evaluation_dates_listed: D and the month ends before it), as if the run were as
-- of E: only transactions dated on or before E count, and a customer is present from the
-- signup date on. customer_lifecycle reads E = D, customer_lifecycle_monthly the month ends,
-- so both follow one definition.
--
-- Set-based, so that millions of customers × months stay cheap: everything a stage or a value
-- needs is fixed at the customer's last qualifying purchase date L on or before E, so it is
-- computed once per purchase date, held from that date to the next one (a validity interval),
-- and joined to the evaluation dates the interval covers.
--
-- A table, not a view like the rest of the folder: both lifecycle marts, the recall steps and the
-- tests read it, and recomputing it for each (about 16M rows at 1M customers) would multiply the
-- build time. Incremental: a nightly build evaluates only the dates the new data can change
-- (macro states_from), whole dates at a time, since the scores rank every customer of a date;
-- the last build's D goes when D moves on, unless it is a month end. When those dates start at
-- the last build's D, a customer without new transactions is in the same state as there (the
-- same purchases count), so only the customers with new transactions go through the windows.
{{ config(
    materialized=incremental_where_supported(),
    unique_key='evaluation_date',
    incremental_strategy='delete+insert',
    post_hook="{% if incremental_where_supported() == 'incremental' %}"
        ~ "delete from {{ this }} where evaluation_date not in "
        ~ "(select evaluation_date from {{ ref('int_evaluation_dates_listed') }}){% endif %}",
    meta={'rewritten_rows': {'states_from': 'evaluation_date'}},
) }}
{%- set value_window_days = var('value_window_days') | int %}
{%- set evaluated_from = lifecycle_states_from() %}

with

transactions as (

    select * from {{ ref('int_transactions_converted') }}

),

customers as (

    select * from {{ ref('int_customer_records_selected') }}

),

evaluation_dates as (

    select * from {{ ref('int_evaluation_dates_listed') }}
    where {{ states_from('evaluation_date') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

{% if evaluated_from %}
-- A nightly build: every customer's state at the last build's D.
last_states as (

    select * from {{ this }}
    where is_as_of_date

),

-- Customers whose state at D cannot be the last one: new transactions, absent at the last D,
-- or all of them when the dates to evaluate start before the last D.
recomputed_customers as (

    select customer_id from transactions
    where {{ new_facts() }}

    union

    select customers.customer_id
    from customers
    where
        customers.customer_id not in (select last_states.customer_id from last_states)
        or cast('{{ evaluated_from }}' as date)
        < (select min(last_states.evaluation_date) from last_states)

),

carried_intervals as (

    select
        last_states.customer_id,
        greatest(
            coalesce(last_states.last_purchase_date, customers.signup_date), customers.signup_date
        ) as valid_from,
        cast({{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as date) as valid_until,
        last_states.first_purchase_date,
        last_states.last_purchase_date,
        last_states.latest_reactivation_date,
        last_states.f_value,
        last_states.m_value

    from last_states
    inner join customers
        on last_states.customer_id = customers.customer_id
    cross join as_of
    where last_states.customer_id not in (select customer_id from recomputed_customers)

),
{% endif %}

-- One row per customer and local date with a transaction (int_transactions_converted is cut at
-- D). Customers absent as of D are left out, so they are never scored.
customer_days as (

    select
        transactions.customer_id,
        transactions.occurred_date as activity_date,
        {{ day_number('transactions.occurred_date') }} as activity_day_number,
        sum(
            case when transactions.is_qualifying_purchase then 1 else 0 end
        ) as qualifying_purchases,
        sum(transactions.signed_amount_reporting) as net_revenue_reporting

    from transactions
    inner join customers
        on transactions.customer_id = customers.customer_id
    {%- if evaluated_from %}
    where transactions.customer_id in (select customer_id from recomputed_customers)
    {%- endif %}
    group by
        transactions.customer_id,
        transactions.occurred_date

),

-- F and M for a value window ending on each day: the value_window_days days up to and
-- including it (L - 364 .. L by default). Refunds count in M on their own dates, also on days
-- without a purchase.
day_windows as (

    select
        customer_id,
        activity_date,
        qualifying_purchases,
        sum(qualifying_purchases) over (
            partition by customer_id
            order by activity_day_number
            {{ day_window_frame(value_window_days) }}
        ) as f_value,
        sum(net_revenue_reporting) over (
            partition by customer_id
            order by activity_day_number
            {{ day_window_frame(value_window_days) }}
        ) as m_value

    from customer_days

),

-- A customer's value at E is the value at L, so only qualifying purchase dates are kept.
purchase_dates as (

    select
        customer_id,
        activity_date as purchase_date,
        cast(f_value as {{ dbt.type_int() }}) as f_value,
        cast(m_value as decimal(18, 2)) as m_value

    from day_windows
    where qualifying_purchases > 0

),

purchase_neighbours as (

    select
        *,
        min(purchase_date) over (partition by customer_id) as first_purchase_date,
        lag(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as previous_purchase_date,
        lead(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as next_purchase_date

    from purchase_dates

),

-- A purchase date more than at_risk_days after the previous one ends a lapse. Whenever such a
-- date lies in the active window E - active_days .. E, it is the first purchase date in that
-- window (a later one is at most active_days < at_risk_days after its predecessor), so the
-- reactivated rule holds at E exactly when the latest such date on or before E is in the window.
reactivations_carried as (

    select
        *,
        max(
            case
                when
                    {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
                    > {{ var('at_risk_days') }}
                    then purchase_date
            end
        ) over (
            partition by customer_id
            order by purchase_date
            rows between unbounded preceding and current row
        ) as latest_reactivation_date

    from purchase_neighbours

),

-- Validity intervals [valid_from, valid_until): a purchase date's state holds until the next
-- purchase date (the last one until after D); before the first purchase, from signup, the
-- customer is a prospect. Intervals start at signup at the earliest.
purchase_intervals as (

    select
        reactivations_carried.customer_id,
        greatest(reactivations_carried.purchase_date, customers.signup_date) as valid_from,
        coalesce(
            reactivations_carried.next_purchase_date,
            cast({{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as date)
        ) as valid_until,
        reactivations_carried.first_purchase_date,
        reactivations_carried.purchase_date as last_purchase_date,
        reactivations_carried.latest_reactivation_date,
        reactivations_carried.f_value,
        reactivations_carried.m_value

    from reactivations_carried
    inner join customers
        on reactivations_carried.customer_id = customers.customer_id
    cross join as_of

),

first_purchases as (

    select
        customer_id,
        min(purchase_date) as first_purchase_date

    from purchase_dates
    group by customer_id

),

prospect_intervals as (

    select
        customers.customer_id,
        customers.signup_date as valid_from,
        coalesce(
            first_purchases.first_purchase_date,
            cast({{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as date)
        ) as valid_until,
        cast(null as date) as first_purchase_date,
        cast(null as date) as last_purchase_date,
        cast(null as date) as latest_reactivation_date,
        cast(null as {{ dbt.type_int() }}) as f_value,
        cast(null as decimal(18, 2)) as m_value

    from customers
    left join first_purchases
        on customers.customer_id = first_purchases.customer_id
    cross join as_of
    {%- if evaluated_from %}
    where customers.customer_id in (select customer_id from recomputed_customers)
    {%- endif %}

),

state_intervals as (

    select * from purchase_intervals
    where valid_from < valid_until

    union all

    select * from prospect_intervals
    where valid_from < valid_until

    {%- if evaluated_from %}

    union all

    select * from carried_intervals
    {%- endif %}

),

-- Exactly one interval covers each evaluation date on or after signup.
states_at_dates as (

    select
        evaluation_dates.evaluation_date,
        evaluation_dates.is_as_of_date,
        evaluation_dates.is_month_end,
        state_intervals.customer_id,
        state_intervals.first_purchase_date,
        state_intervals.last_purchase_date,
        state_intervals.latest_reactivation_date,
        state_intervals.f_value,
        state_intervals.m_value,
        state_intervals.last_purchase_date is not null as is_scored,
        {{ dbt.datediff(
            'state_intervals.last_purchase_date', 'evaluation_dates.evaluation_date', 'day'
        ) }} as r_days,
        {{ dbt.datediff(
            'state_intervals.first_purchase_date', 'evaluation_dates.evaluation_date', 'day'
        ) }} as days_since_first_purchase,
        {{ dbt.datediff(
            'state_intervals.latest_reactivation_date', 'evaluation_dates.evaluation_date', 'day'
        ) }} as days_since_reactivation

    from state_intervals
    inner join evaluation_dates
        on
            state_intervals.valid_from <= evaluation_dates.evaluation_date
            and state_intervals.valid_until > evaluation_dates.evaluation_date

),

-- SPEC §5.1, first matching rule wins. The active window E - active_days .. E has
-- active_days + 1 dates, the same as R <= active_days.
staged as (

    select
        *,
        case
            when last_purchase_date is null then 'prospect'
            when
                days_since_first_purchase <= {{ var('new_days') }}
                and r_days <= {{ var('active_days') }}
                then 'new'
            when
                r_days <= {{ var('active_days') }}
                and days_since_reactivation <= {{ var('active_days') }}
                then 'reactivated'
            when r_days <= {{ var('active_days') }} then 'active'
            when r_days <= {{ var('at_risk_days') }} then 'at_risk'
            when r_days <= {{ var('dormant_days') }} then 'dormant'
            else 'lapsed'
        end as stage

    from states_at_dates

),

-- Scores among the customers with a qualifying purchase on or before E (SPEC §5.2).
scored as (

    select
        *,
        case
            when is_scored
                then {{ rank_score('f_value', ['evaluation_date', 'is_scored']) }}
        end as f_score,
        case
            when is_scored
                then {{ rank_score('m_value', ['evaluation_date', 'is_scored']) }}
        end as m_score

    from staged

),

final as (

    select
        evaluation_date,
        is_as_of_date,
        is_month_end,
        customer_id,
        stage,
        cast(r_days as {{ dbt.type_int() }}) as r_days,
        first_purchase_date,
        last_purchase_date,
        latest_reactivation_date,
        f_value,
        m_value,
        f_score,
        m_score,
        -- Round half up of the mean of two integers: floor((f + m + 1) / 2).
        cast(floor((f_score + m_score + 1) / 2) as {{ dbt.type_int() }}) as value_score

    from scored

)

select * from final
