"""marts.customer_lifecycle: one row per customer as of D, prospects included."""

from expectations.dbt_contract import not_null_columns
from expectations.marts._shared import as_of_is_d
from expectations.spec import Check, not_null, suite

SUITE = suite(
    "marts.customer_lifecycle",
    "marts",
    ("customer_id",),
    not_null(*not_null_columns("customer_lifecycle")),
    # The stage counts at D add up to the customers: every customer of dim_customers has
    # exactly one row, so one stage, and nobody else has one.
    Check(
        "one row, so one stage, for each customer of dim_customers and no one else",
        query="""
            select
                coalesce(b.customer_id, dim.customer_id) as customer_id,
                count(b.customer_id) as lifecycle_rows,
                count(dim.customer_id) as dim_customers_rows
            from {table} as b
            full outer join marts.dim_customers as dim on dim.customer_id = b.customer_id
            group by coalesce(b.customer_id, dim.customer_id)
            having count(b.customer_id) <> 1 or count(dim.customer_id) <> 1
        """,
    ),
    as_of_is_d(),
    description="Lifecycle stage, R, value and tier of every customer as of D.",
)
