"""marts.recall_kpis_closed: the monthly recall KPIs as they stood when each month closed."""

from expectations.dbt_contract import not_null_columns
from expectations.spec import not_null, rows, suite

CLOSED = "recall_kpis_closed"

SUITE = suite(
    f"marts.{CLOSED}",
    "marts",
    ("month", "channel", "recall_tier", "campaign_id"),
    not_null(*not_null_columns(CLOSED)),
    rows(
        "a month closes when final, its retention on or after",
        "not b.is_final or b.retention_closed_on < b.closed_on",
        "is_final",
        "closed_on",
        "retention_closed_on",
    ),
    rows(
        "retention columns are closed exactly when retention is final",
        "b.retention_is_final <> (b.retention_closed_on is not null)",
        "retention_is_final",
        "retention_closed_on",
    ),
    description="Closed months of recall_kpis_monthly, kept as they stood.",
)
