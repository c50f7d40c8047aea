"""marts.lapse_tiers: the recall priority list, one row per dormant or lapsed customer."""

from expectations.dbt_contract import not_null_columns
from expectations.marts._shared import as_of_is_d
from expectations.spec import Check, not_null, suite

SUITE = suite(
    "marts.lapse_tiers",
    "marts",
    ("customer_id",),
    not_null(*not_null_columns("lapse_tiers")),
    # The list is the dormant and lapsed stage counts of customer_lifecycle, customer by
    # customer: one row each, in the same stage.
    Check(
        "one row for each dormant or lapsed customer of customer_lifecycle, in its stage",
        query="""
            with pool as (
                select customer_id, stage from marts.customer_lifecycle
                where stage in ('dormant', 'lapsed')
            )
            select
                coalesce(b.customer_id, pool.customer_id) as customer_id,
                count(b.customer_id) as lapse_tiers_rows,
                any_value(b.stage) as lapse_tiers_stage,
                any_value(pool.stage) as lifecycle_stage
            from {table} as b
            full outer join pool on pool.customer_id = b.customer_id
            group by coalesce(b.customer_id, pool.customer_id)
            having count(b.customer_id) <> 1 or count(pool.customer_id) <> 1
                or any_value(b.stage) is distinct from any_value(pool.stage)
        """,
    ),
    as_of_is_d(),
    description="Dormant and lapsed customers with tier, channels and contact caps.",
)
