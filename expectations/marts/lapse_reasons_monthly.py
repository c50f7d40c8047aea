"""marts.lapse_reasons_monthly: why lapsed customers say they left, by month and tier."""

from expectations.dbt_contract import not_null_columns
from expectations.spec import not_null, rows, suite

REASONS = "lapse_reasons_monthly"

SUITE = suite(
    f"marts.{REASONS}",
    "marts",
    ("month", "reason_group", "reason_code", "recall_tier"),
    not_null(*not_null_columns(REASONS)),
    rows(
        "0 < customers <= eligible_touches",
        "not (b.customers > 0 and b.customers <= b.eligible_touches)",
        "customers",
        "eligible_touches",
    ),
    description="Eligible touches with a lapse reason and their customers.",
)
