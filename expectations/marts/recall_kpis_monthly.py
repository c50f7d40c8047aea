"""marts.recall_kpis_monthly: the monthly recall KPIs finance reports (SPEC §6.1)."""

from expectations.dbt_contract import not_null_columns
from expectations.marts._shared import AS_OF_DATE
from expectations.spec import between, not_null, rows, suite

RATES = (
    "recall_rate",
    "treated_return_rate",
    "control_rate",
    "retained_m1",
    "retained_m2",
    "retained_m3",
)
# The day every attribution window opened in the month has closed (SPEC §6.1 "final").
WINDOWS_CLOSED = "last_day(b.month) + {attribution_window_days} + 1"

SUITE = suite(
    "marts.recall_kpis_monthly",
    "marts",
    ("month", "channel", "recall_tier", "campaign_id"),
    not_null(*not_null_columns("recall_kpis_monthly")),
    (between(rate, 0, 1) for rate in RATES),
    rows(
        "recalled_customers <= contacted_customers",
        "b.recalled_customers > b.contacted_customers",
        "recalled_customers",
        "contacted_customers",
    ),
    rows(
        "clicked <= opened <= delivered <= contacted_customers",
        "not (b.clicked <= b.opened and b.opened <= b.delivered "
        "and b.delivered <= b.contacted_customers)",
        "clicked",
        "opened",
        "delivered",
        "contacted_customers",
    ),
    rows(
        "is_final is month end + attribution_window_days + 1 day <= D",
        f"b.is_final is distinct from ({WINDOWS_CLOSED} <= {AS_OF_DATE})",
        "is_final",
        column="is_final",
    ),
    rows(
        "retention_is_final is the third month after the windows close ending by D",
        "b.retention_is_final is distinct from ("
        f"last_day(date_trunc('month', {WINDOWS_CLOSED}) + interval 3 month) <= {AS_OF_DATE})",
        "retention_is_final",
        column="retention_is_final",
    ),
    description="Recall KPIs by month, channel, tier and campaign, with `all` rollups.",
)
