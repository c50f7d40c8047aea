"""marts.fct_transactions: one row per purchase or refund dated on or before D."""

from expectations.dbt_contract import not_null_columns
from expectations.marts._shared import not_after_d
from expectations.spec import not_null, suite

SUITE = suite(
    "marts.fct_transactions",
    "marts",
    ("transaction_id",),
    not_null(*not_null_columns("fct_transactions")),
    not_after_d("occurred_date"),
    description="Purchases and refunds in the reporting currency.",
)
