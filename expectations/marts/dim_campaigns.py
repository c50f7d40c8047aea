"""marts.dim_campaigns: one row per recall campaign started on or before D."""

from expectations.dbt_contract import not_null_columns
from expectations.marts._shared import not_after_d
from expectations.spec import not_null, suite

SUITE = suite(
    "marts.dim_campaigns",
    "marts",
    ("campaign_id",),
    not_null(*not_null_columns("dim_campaigns")),
    not_after_d("starts_on"),
    description="Recall campaigns started on or before D.",
)
