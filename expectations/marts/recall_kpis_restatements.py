"""marts.recall_kpis_restatements: closed figures that changed since their month closed."""

from expectations.dbt_contract import not_null_columns
from expectations.spec import not_null, rows, suite

RESTATEMENTS = "recall_kpis_restatements"

SUITE = suite(
    f"marts.{RESTATEMENTS}",
    "marts",
    ("month", "channel", "recall_tier", "campaign_id", "column_name"),
    not_null(*not_null_columns(RESTATEMENTS)),
    rows(
        "a restated figure differs from its closed value",
        "b.closed_value is not distinct from b.current_value",
        "column_name",
        "closed_value",
        "current_value",
    ),
    rows(
        "difference = current_value - closed_value",
        "abs(b.difference - (b.current_value - b.closed_value)) > 1e-9",
        "closed_value",
        "current_value",
        "difference",
    ),
    description="Figures of closed months that differ now, never applied silently.",
)
