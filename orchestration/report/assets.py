"""The monthly finance report as a Dagster asset, on its own monthly schedule (SPEC §8).

On the 1st of each month, after the nightly run, it writes the report of the month just
ended, marked provisional (its recall figures need the attribution window to pass), and the
final report of the latest month whose figures are final. It reads the published file only,
so it never changes what BI sees.
"""

from datetime import date

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from orchestration.report.finance import build_report, open_published
from orchestration.settings import Settings

REPORT_GROUP = "reports"
REPORT_JOB_NAME = "recall_monthly_report"
REPORT_SCHEDULE_NAME = "recall_monthly_report_schedule"
# 06:00 on the 1st, in the reporting timezone: after the 02:00 nightly run of the last day.
REPORT_CRON = "0 6 1 * *"
# What the warehouse jobs (recall run, the nightly schedule, backfills) materialize.
WAREHOUSE_ASSETS = AssetSelection.all() - AssetSelection.groups(REPORT_GROUP)


@asset(
    key=AssetKey(["reports", "monthly_recall_report"]),
    deps=[AssetKey(["published", "recall_duckdb"])],
    group_name=REPORT_GROUP,
    description="The finance recall-rate report (spreadsheet, CSV, chart) of the month before "
    "D, provisional until final, and of the latest final month.",
)
def monthly_recall_report(
    context: AssetExecutionContext, recall: ResourceParam[Settings]
) -> MaterializeResult:
    metadata: dict[str, MetadataValue] = {}
    for month in report_months(recall):
        report = build_report(recall.published_path, recall.reports_dir, month)
        context.log.info(f"{month:%Y-%m} ({report.status}): {report.spreadsheet}")
        metadata[f"{month:%Y-%m}"] = MetadataValue.path(str(report.spreadsheet))
        metadata[f"{month:%Y-%m} status"] = MetadataValue.text(report.status)
    return MaterializeResult(metadata=metadata)


def report_months(settings: Settings) -> list[date]:
    """The month before D's month and the latest final month, from the published file."""
    with open_published(settings.published_path) as con:
        previous, latest_final = con.execute(
            "select "
            "cast(date_trunc('month', max(as_of_date)) - interval 1 month as date), "
            "(select max(month) from recall_kpis_monthly where is_final) "
            "from customer_lifecycle"
        ).fetchone()
    return sorted({m for m in (previous, latest_final) if m is not None})


def report_job():
    return define_asset_job(
        REPORT_JOB_NAME,
        selection=AssetSelection.groups(REPORT_GROUP),
        description="The monthly finance report, from the published file.",
    )


def report_schedule(job, settings: Settings) -> ScheduleDefinition:
    """Stopped until an operator starts it in the Dagster UI, like the nightly schedule."""
    return ScheduleDefinition(
        name=REPORT_SCHEDULE_NAME,
        job=job,
        cron_schedule=REPORT_CRON,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.STOPPED,
        description="On the 1st at 06:00 in the reporting timezone: the finance report of the "
        "month just ended (provisional) and of the latest final month.",
    )
