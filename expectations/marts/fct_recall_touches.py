"""marts.fct_recall_touches: one row per recall touch or holdout row sent on or before D."""

from expectations.dbt_contract import not_null_columns
from expectations.marts._shared import not_after_d
from expectations.spec import not_null, rows, suite

SUITE = suite(
    "marts.fct_recall_touches",
    "marts",
    ("touch_id",),
    not_null(*not_null_columns("fct_recall_touches")),
    rows(
        "clicked <= opened <= delivered on every touch",
        "(b.is_clicked and not b.is_opened) or (b.is_opened and not b.is_delivered)",
        "is_delivered",
        "is_opened",
        "is_clicked",
    ),
    not_after_d("sent_date"),
    description="Recall touches and holdout rows with their tier, eligibility and credit.",
)
