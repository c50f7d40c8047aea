"""marts.dim_customers: one row per customer signed up on or before D."""

from expectations.dbt_contract import not_null_columns
from expectations.marts._shared import not_after_d
from expectations.spec import not_null, suite

SUITE = suite(
    "marts.dim_customers",
    "marts",
    ("customer_id",),
    not_null(*not_null_columns("dim_customers")),
    not_after_d("signup_date"),
    description="Customers as of D, without personal data.",
)
