"""Checks several marts share: the as-of date D and the customers signed up by a date."""

from __future__ import annotations

from expectations.spec import Check, rows

# D, selected once per run by dbt (SPEC §4).
AS_OF_DATE = "(select as_of_date from intermediate.int_as_of_date)"

# Per month end from the first signup's month to D: the customers who signed up by then
# (dim_customers holds every customer signed up on or before D). A CTE named
# customers_by_month_end(month_end, customers).
CUSTOMERS_BY_MONTH_END = f"""
customers_by_month_end as (
    select month_ends.month_end, count(dim.customer_id) as customers
    from (
        select distinct last_day(cast(range as date)) as month_end
        from range(
            cast(date_trunc('month', (select min(signup_date) from marts.dim_customers))
                as timestamp),
            cast({AS_OF_DATE} as timestamp) + interval 1 day,
            interval 1 month
        )
    ) as month_ends
    left join marts.dim_customers as dim on dim.signup_date <= month_ends.month_end
    where month_ends.month_end <= {AS_OF_DATE}
    group by month_ends.month_end
)"""


def as_of_is_d(column: str = "as_of_date") -> Check:
    return rows(
        f"{column} is D", f"b.{column} is distinct from {AS_OF_DATE}", column, column=column
    )


def not_after_d(column: str) -> Check:
    return rows(f"{column} on or before D", f"b.{column} > {AS_OF_DATE}", column, column=column)
