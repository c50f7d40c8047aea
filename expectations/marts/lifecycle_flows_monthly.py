"""marts.lifecycle_flows_monthly: stage transitions from one month end to the next."""

from expectations.dbt_contract import not_null_columns
from expectations.marts._shared import CUSTOMERS_BY_MONTH_END
from expectations.spec import Check, not_null, suite

FLOWS = "lifecycle_flows_monthly"
STAGE_COUNTS = """
    select month_end, stage, count(*) as customers
    from marts.customer_lifecycle_monthly
    group by month_end, stage
"""

SUITE = suite(
    f"marts.{FLOWS}",
    "marts",
    ("month_end", "from_stage", "to_stage"),
    not_null(*not_null_columns(FLOWS)),
    Check(
        "flows of each month end add up to the customers signed up by then",
        query=f"""
            with {CUSTOMERS_BY_MONTH_END},
            flows as (
                select b.month_end, sum(b.customers) as customers from {{table}} as b
                group by b.month_end
            )
            select
                coalesce(f.month_end, c.month_end) as month_end,
                f.customers as flow_customers,
                c.customers as customers_signed_up
            from flows as f
            full outer join customers_by_month_end as c on c.month_end = f.month_end
            where f.customers is distinct from c.customers
        """,
    ),
    Check(
        "flows into each stage add up to its count in customer_lifecycle_monthly",
        query=f"""
            with flows as (
                select b.month_end, b.to_stage as stage, sum(b.customers) as customers
                from {{table}} as b
                group by b.month_end, b.to_stage
            ),
            stage_counts as ({STAGE_COUNTS})
            select
                coalesce(f.month_end, s.month_end) as month_end,
                coalesce(f.stage, s.stage) as stage,
                f.customers as flow_customers,
                s.customers as stage_customers
            from flows as f
            full outer join stage_counts as s
                on s.month_end = f.month_end and s.stage = f.stage
            where f.customers is distinct from s.customers
        """,
    ),
    Check(
        "flows out of each stage add up to its count at the previous month end",
        query=f"""
            with flows as (
                select
                    last_day(b.month_end - interval 1 month) as month_end,
                    b.from_stage as stage,
                    sum(b.customers) as customers
                from {{table}} as b
                where b.from_stage <> 'not_signed_up'
                group by all
            ),
            stage_counts as ({STAGE_COUNTS})
            select
                coalesce(f.month_end, s.month_end) as previous_month_end,
                coalesce(f.stage, s.stage) as stage,
                f.customers as flow_customers,
                s.customers as stage_customers
            from flows as f
            full outer join stage_counts as s
                on s.month_end = f.month_end and s.stage = f.stage
            where f.customers is distinct from s.customers
                -- the last month end has no next month yet
                and coalesce(f.month_end, s.month_end)
                    < (select max(month_end) from marts.customer_lifecycle_monthly)
        """,
    ),
    description="Monthly stage transitions.",
)
