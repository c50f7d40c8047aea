-- The lapsed pool cannot drift from the lifecycle marts (SPEC §6.3): every month's closing is
-- the number of dormant and lapsed customers in customer_lifecycle_monthly at its month end, and
-- in customer_lifecycle at D for D's month (D is in both when it is a month end); its opening
-- is the number at the previous month end (none before the first month of the history).
-- Returns the disagreeing months.
with

lapsed_pool_monthly as (

    select * from {{ ref('lapsed_pool_monthly') }}

),

customer_lifecycle_monthly as (

    select * from {{ ref('customer_lifecycle_monthly') }}

),

customer_lifecycle as (

    select * from {{ ref('customer_lifecycle') }}

),

month_end_pools as (

    select
        month_end as stock_date,
        count(*) as pool_customers

    from customer_lifecycle_monthly
    where stage in ('dormant', 'lapsed')
    group by month_end

),

as_of_pools as (

    select
        as_of_date as stock_date,
        count(*) as pool_customers

    from customer_lifecycle
    where stage in ('dormant', 'lapsed')
    group by as_of_date

),

lifecycle_pools as (

    select * from month_end_pools

    union all

    select * from as_of_pools

),

-- Every stock the pool reports: closing at month_end, opening at the day before the month.
pool_stocks as (

    select
        month,
        month_end as stock_date,
        'closing' as stock,
        closing as pool_customers

    from lapsed_pool_monthly

    union all

    select
        month,
        cast({{ dbt.dateadd('day', -1, 'month') }} as date) as stock_date,
        'opening' as stock,
        opening as pool_customers

    from lapsed_pool_monthly

),

-- A lifecycle date with dormant or lapsed customers must be a stock the pool reports, from the
-- previous month end of its first month to D.
final as (

    select
        pool_stocks.month,
        coalesce(pool_stocks.stock_date, lifecycle_pools.stock_date) as stock_date,
        pool_stocks.stock,
        pool_stocks.pool_customers,
        lifecycle_pools.pool_customers as lifecycle_pool_customers

    from pool_stocks
    full outer join lifecycle_pools
        on pool_stocks.stock_date = lifecycle_pools.stock_date
    where
        coalesce(pool_stocks.pool_customers, -1)
        != coalesce(lifecycle_pools.pool_customers, 0)

)

select * from final
