"""Daily partitions on the business date and the nightly schedule (SPEC §4, §8): a run of a
partition describes that date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import build_schedule_context

from orchestration.lib.business_date import settings_for_run
from orchestration.schedules.nightly import (
    FIRST_PARTITION,
    NIGHTLY_JOB_NAME,
    NIGHTLY_SCHEDULE_NAME,
    business_dates,
)
from orchestration.settings import Settings
from orchestration.transform.command import dbt_vars

NEW_YORK = "America/New_York"


@pytest.fixture
def new_york_defs(dbt_manifest: Path, tmp_path: Path):
    from orchestration.definitions import build_definitions

    settings = Settings(home=tmp_path, landing_dir=tmp_path / "landing", timezone=NEW_YORK)
    return settings, build_definitions(settings)


def test_the_nightly_job_is_partitioned_by_day_in_the_reporting_timezone(new_york_defs) -> None:
    _, defs = new_york_defs
    partitions = defs.resolve_job_def(NIGHTLY_JOB_NAME).partitions_def

    assert partitions.get_first_partition_key() == FIRST_PARTITION.isoformat() == "2000-01-01"
    assert partitions.timezone == NEW_YORK
    schedule = defs.resolve_schedule_def(NIGHTLY_SCHEDULE_NAME)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", NEW_YORK)
    assert schedule.job_name == NIGHTLY_JOB_NAME


def test_the_schedule_runs_the_previous_day_and_that_day_is_the_runs_d(new_york_defs) -> None:
    settings, defs = new_york_defs
    schedule = defs.resolve_schedule_def(NIGHTLY_SCHEDULE_NAME)
    tick = datetime(2026, 3, 9, 2, 0, tzinfo=ZoneInfo(NEW_YORK))  # the night after DST began

    with build_schedule_context(scheduled_execution_time=tick) as context:
        (request,) = schedule.evaluate_tick(context).run_requests

    assert request.partition_key == "2026-03-08"
    run_settings = settings_for_run(settings, request.tags)
    assert run_settings.as_of_date == date(2026, 3, 8)
    assert dbt_vars(run_settings)["as_of_date"] == "2026-03-08"


def test_an_ad_hoc_run_keeps_its_own_as_of_date(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, landing_dir=tmp_path, as_of_date=date(2026, 1, 31))

    assert settings_for_run(settings, {"dagster/backfill": "x"}) is settings


def test_a_backfill_names_every_date_of_its_range_in_order() -> None:
    assert business_dates("2026-02-27", "2026-03-02", "UTC") == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-03-02", "2026-03-01", "--start 2026-03-02 is after --end 2026-03-01"),
        ("02/03/2026", "2026-03-01", "--start: '02/03/2026' is not a date"),
        ("1999-12-31", "2000-01-02", "--start 1999-12-31 is before the first partition"),
        ("2026-01-01", "TODAY", "has not ended yet in UTC"),
    ],
)
def test_a_backfill_range_that_cannot_run_is_refused(start: str, end: str, message: str) -> None:
    if end == "TODAY":
        end = datetime.now(ZoneInfo("UTC")).date().isoformat()

    with pytest.raises(ValueError, match=message):
        business_dates(start, end, "UTC")


def test_yesterday_is_the_last_date_a_backfill_can_reach() -> None:
    yesterday = datetime.now(ZoneInfo("UTC")).date() - timedelta(days=1)

    assert business_dates(yesterday.isoformat(), yesterday.isoformat(), "UTC") == [yesterday]
