"""marts.customer_lifecycle_monthly: one row per customer and month end up to D."""

from expectations.dbt_contract import not_null_columns
from expectations.marts._shared import CUSTOMERS_BY_MONTH_END
from expectations.spec import Check, not_null, suite

SUITE = suite(
    "marts.customer_lifecycle_monthly",
    "marts",
    ("month_end", "customer_id"),
    not_null(*not_null_columns("customer_lifecycle_monthly")),
    # Every month end from the first signup's to D, and at each the stage counts add up to
    # the customers signed up by then.
    Check(
        "stage counts add up to the customers signed up by each month end",
        query=f"""
            with {CUSTOMERS_BY_MONTH_END},
            stage_counts as (
                select b.month_end, count(*) as customers from {{table}} as b
                group by b.month_end
            )
            select
                coalesce(s.month_end, c.month_end) as month_end,
                s.customers as stage_count_total,
                c.customers as customers_signed_up
            from stage_counts as s
            full outer join customers_by_month_end as c on c.month_end = s.month_end
            where s.customers is distinct from c.customers
        """,
    ),
    description="The monthly lifecycle history.",
)
