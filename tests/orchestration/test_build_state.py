"""How a run decides to add the new facts or rebuild in full (transform/build_state.py), and
the dbt command it issues for each."""

from __future__ import annotations

import json
from datetime import date

import pytest

from orchestration.settings import load_settings
from orchestration.transform.build_state import BuildPlan, last_final_month_end
from orchestration.transform.command import dbt_build_args, dbt_build_env


@pytest.mark.parametrize(
    ("as_of_date", "window", "final_through"),
    [
        # July ends 07-31; + 30 days + 1 = 08-31: final from D = 08-31 on, not the day before.
        (date(2026, 8, 31), 30, date(2026, 7, 31)),
        (date(2026, 8, 30), 30, date(2026, 6, 30)),
        (date(2026, 10, 31), 30, date(2026, 9, 30)),
        (date(2026, 3, 2), 1, date(2026, 2, 28)),
        (date(2026, 3, 1), 1, date(2026, 1, 31)),
    ],
)
def test_the_last_final_month_end_follows_is_final(
    as_of_date: date, window: int, final_through: date
) -> None:
    assert last_final_month_end(as_of_date, window) == final_through


def test_an_incremental_build_passes_where_new_facts_start_and_a_full_one_full_refresh() -> None:
    settings = load_settings({}, as_of_date="2026-06-30")
    incremental = BuildPlan(
        full=False,
        facts_loaded_after="2026-07-01 02:00:00.123456",
        facts_occurred_from=date(2026, 6, 28),
    )
    args = dbt_build_args(settings, incremental)
    assert "--full-refresh" not in args
    assert json.loads(args[4]) == {"reporting_timezone": "UTC", "reporting_currency": "USD"}
    assert dbt_build_env(settings, incremental) == {
        "RECALL_DBT_AS_OF_DATE": "2026-06-30",
        "RECALL_DBT_NEW_FACTS_LOADED_AFTER": "2026-07-01 02:00:00.123456",
        "RECALL_DBT_NEW_FACTS_OCCURRED_FROM": "2026-06-28",
    }
    full = BuildPlan(full=True, reasons=("the dbt vars changed (active_days default -> 45)",))
    assert dbt_build_args(settings, full)[-1] == "--full-refresh"
    assert full.describe() == "full rebuild: the dbt vars changed (active_days default -> 45)"
