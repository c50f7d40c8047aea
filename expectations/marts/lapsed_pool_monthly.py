"""marts.lapsed_pool_monthly: the lapsed pool roll-forward (SPEC §6.3)."""

from expectations.dbt_contract import not_null_columns
from expectations.spec import Check, not_null, rows, suite

SUITE = suite(
    "marts.lapsed_pool_monthly",
    "marts",
    ("month",),
    not_null(*not_null_columns("lapsed_pool_monthly")),
    rows(
        "opening + became_dormant - recalled_returns - organic_returns = closing",
        "b.opening + b.became_dormant - b.recalled_returns - b.organic_returns <> b.closing",
        "month_end",
        "opening",
        "became_dormant",
        "recalled_returns",
        "organic_returns",
        "closing",
    ),
    rows(
        "no count is negative",
        "least(b.opening, b.became_dormant, b.recalled_returns, b.organic_returns, b.closing) < 0",
        "opening",
        "became_dormant",
        "recalled_returns",
        "organic_returns",
        "closing",
    ),
    Check(
        "each month opens with the previous month's closing (0 in the first)",
        query="""
            select * from (
                select
                    b.month,
                    b.opening,
                    coalesce(lag(b.closing) over (order by b.month), 0) as previous_closing
                from {table} as b
            )
            where opening <> previous_closing
        """,
    ),
    Check(
        "closing is the dormant and lapsed customers of the lifecycle marts at month_end",
        query="""
            with stock as (
                select month_end as stock_date, count(*) as customers
                from marts.customer_lifecycle_monthly
                where stage in ('dormant', 'lapsed')
                group by month_end
                union all
                select as_of_date, count(*)
                from marts.customer_lifecycle
                where stage in ('dormant', 'lapsed')
                    and as_of_date not in (select month_end from marts.customer_lifecycle_monthly)
                group by as_of_date
            )
            select b.month, b.month_end, b.closing, coalesce(stock.customers, 0) as lifecycle_pool
            from {table} as b
            left join stock on stock.stock_date = b.month_end
            where b.closing <> coalesce(stock.customers, 0)
        """,
    ),
    Check(
        "opening is recall_kpis_monthly's lapsed_at_month_start",
        query="""
            select b.month, b.opening, k.lapsed_at_month_start
            from {table} as b
            left join marts.recall_kpis_monthly as k
                on k.month = b.month and k.channel = 'all' and k.recall_tier = 'all'
                and k.campaign_id = 'all'
            where k.lapsed_at_month_start is distinct from b.opening
        """,
    ),
    description="Opening, inflows, returns and closing of the lapsed pool by month.",
)
