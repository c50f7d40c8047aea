-- Lapsed pool roll-forward (SPEC §6.3): per month, the customers dormant or lapsed at the
-- previous month end (opening), the customers who entered the pool in the month
-- (became_dormant), those who left it by buying again (recalled_returns, organic_returns), and
-- the pool at the month end, or at D for D's month (closing).
--
-- Flows come from the customers' lapses (int_purchase_lapses_listed): each enters the pool on
-- the day R reaches at_risk_days + 1 and leaves it on the return date. The stock is the running
-- sum of the flows, so opening + became_dormant - recalled_returns - organic_returns = closing
-- holds by construction; data test assert_lapsed_pool_closing_matches_lifecycle pins the stock
-- to the lifecycle marts' stages.
with

months as (

    select * from {{ ref('int_recall_months_listed') }}

),

lapses_listed as (

    select * from {{ ref('int_purchase_lapses_listed') }}

),

customers as (

    select * from {{ ref('int_customer_records_selected') }}

),

recall_touches as (

    select * from {{ ref('int_recall_touches_attributed') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

-- The months recall_kpis_monthly reports, from the first month with transactions (or touches,
-- or campaign costs) to D's month: each closes at its month end, D's month at D.
pool_months as (

    select
        month_start as month,
        closing_date as month_end

    from months

),

-- The lapses of the customers present as of D that began by D.
lapses as (

    select
        lapses_listed.customer_id,
        lapses_listed.became_dormant_date,
        lapses_listed.return_date

    from lapses_listed
    inner join customers
        on lapses_listed.customer_id = customers.customer_id
    cross join as_of
    where lapses_listed.became_dormant_date <= as_of.as_of_date

),

-- Local dates of credited recall purchases. An eligible touch is sent during a lapse, and its
-- recall is the first qualifying purchase after it, so a recall on a return date is that
-- lapse's return: normally the day's first purchase, or a later one that day when the touch
-- was sent at the very instant of the first (attribution needs a purchase strictly after it).
credited_recall_dates as (

    select distinct
        customer_id,
        recall_purchase_date as recall_date

    from recall_touches
    where is_credited

),

returns_classified as (

    select
        lapses.customer_id,
        lapses.return_date,
        credited_recall_dates.customer_id is not null as is_recalled

    from lapses
    left join credited_recall_dates
        on
            lapses.customer_id = credited_recall_dates.customer_id
            and lapses.return_date = credited_recall_dates.recall_date
    where lapses.return_date is not null

),

-- +1 on entering the pool, -1 on leaving it; a customer's running sum is 1 exactly while the
-- customer is dormant or lapsed.
pool_events as (

    select
        customer_id,
        became_dormant_date as event_date,
        1 as became_dormant,
        0 as recalled_returns,
        0 as organic_returns

    from lapses

    union all

    select
        customer_id,
        return_date as event_date,
        0 as became_dormant,
        case when is_recalled then 1 else 0 end as recalled_returns,
        case when is_recalled then 0 else 1 end as organic_returns

    from returns_classified

),

-- The lifecycle marts list a customer from the month end on or after signup, so the customer
-- joins the pool's history in the signup month.
pool_events_dated as (

    select
        pool_events.*,
        cast({{ dbt.date_trunc('month', 'pool_events.event_date') }} as date) as event_month,
        cast({{ dbt.date_trunc('month', 'customers.signup_date') }} as date) as first_month

    from pool_events
    inner join customers
        on pool_events.customer_id = customers.customer_id

),

-- Purchases dated before the signup month (a data oddity) cannot move a stock the customer is
-- not in yet: their lapses and returns are netted, and a customer already dormant or lapsed
-- when first listed enters the pool once, in the signup month.
pool_entries_at_signup as (

    select
        customer_id,
        first_month as event_month,
        1 as became_dormant,
        0 as recalled_returns,
        0 as organic_returns

    from pool_events_dated
    where event_month < first_month
    group by
        customer_id,
        first_month
    having sum(became_dormant - recalled_returns - organic_returns) > 0

),

pool_flows as (

    select
        customer_id,
        event_month,
        became_dormant,
        recalled_returns,
        organic_returns

    from pool_events_dated
    where event_month >= first_month

    union all

    select
        customer_id,
        event_month,
        became_dormant,
        recalled_returns,
        organic_returns

    from pool_entries_at_signup

),

-- Counts of events: a customer who lapsed twice in one month (only possible with
-- at_risk_days under a month) counts twice, so the identity holds whatever the vars.
monthly_flows as (

    select
        pool_months.month,
        pool_months.month_end,
        coalesce(sum(pool_flows.became_dormant), 0) as became_dormant,
        coalesce(sum(pool_flows.recalled_returns), 0) as recalled_returns,
        coalesce(sum(pool_flows.organic_returns), 0) as organic_returns

    from pool_months
    left join pool_flows
        on pool_months.month = pool_flows.event_month
    group by
        pool_months.month,
        pool_months.month_end

),

-- Nobody is in the pool before the first month: it starts with the first transactions.
opening_stocks as (

    select
        *,
        coalesce(
            sum(became_dormant - recalled_returns - organic_returns) over (
                order by month
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as opening

    from monthly_flows

),

final as (

    select
        month,
        month_end,
        cast(opening as {{ dbt.type_int() }}) as opening,
        cast(became_dormant as {{ dbt.type_int() }}) as became_dormant,
        cast(recalled_returns as {{ dbt.type_int() }}) as recalled_returns,
        cast(organic_returns as {{ dbt.type_int() }}) as organic_returns,
        cast(
            opening + became_dormant - recalled_returns - organic_returns
            as {{ dbt.type_int() }}
        ) as closing

    from opening_stocks

)

select * from final
