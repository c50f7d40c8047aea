"""Daily partitions on the business date and the nightly schedule.

The nightly job materializes the same asset graph as an ad-hoc ``recall run``; a run of
partition X describes X (``lib/business_date.py``). The partitions are calendar days in the
reporting timezone, and the schedule runs at 02:00 there, for the day that has just ended.
``recall backfill`` and a backfill launched from the Dagster UI run the same job, one
partition per run.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dagster import (
    DailyPartitionsDefinition,
    DefaultScheduleStatus,
    PartitionedConfig,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from orchestration.report.assets import WAREHOUSE_ASSETS
from orchestration.settings import Settings

NIGHTLY_JOB_NAME = "recall_nightly"
NIGHTLY_SCHEDULE_NAME = "recall_nightly_schedule"
NIGHTLY_HOUR = 2
# The first business date a partition can describe: early enough for the histories users
# load (a backfill names its own range within it).
FIRST_PARTITION = date(2000, 1, 1)


def business_days(settings: Settings) -> DailyPartitionsDefinition:
    """One partition per calendar day in the reporting timezone, up to the last full day."""
    return DailyPartitionsDefinition(
        start_date=datetime.combine(FIRST_PARTITION, datetime.min.time()),
        timezone=settings.timezone,
    )


def nightly_job(settings: Settings):
    """The warehouse graph (all but the finance report), by partition. The assets themselves
    are not partitioned: each run rebuilds the warehouse as of its partition date, so the
    partition lives on the run."""
    return define_asset_job(
        NIGHTLY_JOB_NAME,
        selection=WAREHOUSE_ASSETS,
        config=PartitionedConfig(
            partitions_def=business_days(settings),
            run_config_for_partition_key_fn=lambda _key: {},
        ),
        description="The nightly run of one business date (its partition): ingest new landing "
        "files, build, check and publish the warehouse as of that date.",
    )


def nightly_schedule(job):
    """02:00 in the reporting timezone, for the previous day. Stopped until an operator
    starts it in the Dagster UI (recall ui), so a sample home never runs by itself."""
    return build_schedule_from_partitioned_job(
        job,
        name=NIGHTLY_SCHEDULE_NAME,
        hour_of_day=NIGHTLY_HOUR,
        minute_of_hour=0,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Every night at 02:00 in the reporting timezone: the previous day's run.",
    )


def business_dates(start: str, end: str, timezone: str) -> list[date]:
    """The dates of a backfill, in order; raises ValueError naming what is wrong with the
    range (not a date, start after end, a day that has not ended yet, before the first
    partition)."""
    first, last = (_date(text, name) for text, name in ((start, "--start"), (end, "--end")))
    today = datetime.now(ZoneInfo(timezone)).date()
    if first > last:
        raise ValueError(f"--start {first} is after --end {last}: give the earlier date first")
    if last >= today:
        raise ValueError(
            f"--end {last} has not ended yet in {timezone} (today is {today}): a business "
            f"date's partition exists once its day is over; end at {today - timedelta(days=1)} "
            "at the latest"
        )
    if first < FIRST_PARTITION:
        raise ValueError(f"--start {first} is before the first partition, {FIRST_PARTITION}")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"{option}: {text!r} is not a date: write it as YYYY-MM-DD") from error
