"""marts.early_warning: customers still active who have gone quiet (SPEC §6.2)."""

from expectations.dbt_contract import not_null_columns
from expectations.marts._shared import as_of_is_d
from expectations.spec import not_null, rows, suite

SUITE = suite(
    "marts.early_warning",
    "marts",
    ("customer_id",),
    not_null(*not_null_columns("early_warning")),
    rows(
        "0 < r_days <= active_days",
        "not (b.r_days > 0 and b.r_days <= {active_days})",
        "r_days",
        column="r_days",
    ),
    as_of_is_d(),
    description="Drifting customers as of D.",
)
