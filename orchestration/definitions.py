"""The one Definitions object of the warehouse, merged from its stages:
ingest (landing files -> raw tables; the quarantine gate) -> transform (dbt build; dbt tests
as asset checks) -> checks (volume and freshness gates, Great Expectations suites) -> publish
(the BI file). Every gate is a blocking asset check: one failure and nothing is published.
The monthly finance report reads the published file in a job and schedule of its own."""

from __future__ import annotations

from collections.abc import Iterator

from dagster import (
    Definitions,
    InitResourceContext,
    ResourceDefinition,
    colored_console_logger,
    define_asset_job,
    in_process_executor,
    resource,
)

from orchestration.checks.assets import GATE_CHECKS
from orchestration.ingest.assets import landing_ingest
from orchestration.lib.build_copy import hold_home
from orchestration.publish.assets import published_warehouse
from orchestration.report.assets import (
    WAREHOUSE_ASSETS,
    monthly_recall_report,
    report_job,
    report_schedule,
)
from orchestration.run_output import PROGRESS_LOGGER, progress_logger
from orchestration.schedules.nightly import nightly_job, nightly_schedule
from orchestration.settings import Settings, load_settings
from orchestration.transform.assets import recall_dbt_models
from orchestration.transform.project import DBT_EXECUTABLE, RecallDbtCli, recall_dbt_project

RECALL_JOB_NAME = "recall_warehouse"

recall_job = define_asset_job(
    RECALL_JOB_NAME,
    selection=WAREHOUSE_ASSETS,
    description="Ingest new landing files, build and test the dbt models, check them, publish "
    "the marts.",
)


def recall_resource(settings: Settings) -> ResourceDefinition:
    """The settings every asset and check takes (as ResourceParam[Settings]), given to a run
    while it holds the home's run lock: a run launched from the UI, the schedule or a
    backfill, and one ``recall run`` started beside it, never share the build copy."""

    @resource(description="The warehouse settings; holds $RECALL_HOME/run.lock for the run.")
    def recall(_context: InitResourceContext) -> Iterator[Settings]:
        with hold_home(settings):
            yield settings

    return recall


def build_definitions(settings: Settings) -> Definitions:
    nightly = nightly_job(settings)
    report = report_job()
    return Definitions(
        assets=[landing_ingest, recall_dbt_models, published_warehouse, monthly_recall_report],
        asset_checks=GATE_CHECKS,
        jobs=[recall_job, nightly, report],
        schedules=[nightly_schedule(nightly), report_schedule(report, settings)],
        # recall run configures both; a run from the UI logs to the console alone.
        loggers={"console": colored_console_logger, PROGRESS_LOGGER: progress_logger},
        resources={
            "dbt": RecallDbtCli(project_dir=recall_dbt_project, dbt_executable=DBT_EXECUTABLE),
            "recall": recall_resource(settings),
        },
        # One process per run, steps one after the other (DuckDB has one writer per file),
        # so the recall resource, and with it the run lock, lasts the whole run.
        executor=in_process_executor,
    )


defs = build_definitions(load_settings())
