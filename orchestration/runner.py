"""One headless Dagster run of the whole asset graph, and what to tell the operator after."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from dagster import DagsterEventType, DagsterInstance

from orchestration.lib.sql import sql_identifier
from orchestration.settings import Settings
from orchestration.transform.project import prepare_manifest


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    settings: Settings
    failures: list[str] = field(default_factory=list)

    def format_failure(self) -> str:
        lines = [f"Run {self.run_id} failed; the last good publication is unchanged."]
        lines += [f"  - {failure}" for failure in self.failures]
        lines.append(
            "Fix the cause and run again. Run history is kept in "
            f"DAGSTER_HOME={self.settings.dagster_home}."
        )
        return "\n".join(lines)

    def format_summary(self, seconds: float) -> str:
        return "\n".join(
            [
                f"Run {self.run_id} succeeded in {seconds:.0f} s.",
                *ingest_summary_lines(self.settings.warehouse_path),
                *published_summary_lines(self.settings.published_path),
            ]
        )


def ingest_summary_lines(warehouse_path: Path) -> list[str]:
    """Totals of every landing file loaded so far, from the load manifest."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select source, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined), "
            "sum(rows_parked), sum(rows_duplicate), bool_and(reconciles) "
            "from ingest.file_reconciliation group by source order by source"
        ).fetchall()
    lines = ["Landing files (all loads): read = loaded + quarantined + parked + duplicates"]
    for source, files, read, loaded, quarantined, parked, dups, ok in rows:
        lines.append(
            f"  {source:<15} {files:>3} files  {read:>11,} = {loaded:>11,} + {quarantined:>7,}"
            f" + {parked:>6,} + {dups:>6,}  {'reconciles' if ok else 'DOES NOT RECONCILE'}"
        )
    return lines


def published_summary_lines(published_path: Path) -> list[str]:
    with duckdb.connect(str(published_path), read_only=True) as con:
        tables = [r[0] for r in con.execute("show tables").fetchall()]
        counts = {
            t: con.execute(f"select count(*) from {sql_identifier(t)}").fetchone()[0]
            for t in tables
        }
    lines = [f"BI file (open read-only): {published_path}"]
    lines += [f"  {table:<28} {rows:>12,} rows" for table, rows in counts.items()]
    return lines


def _failure_messages(result) -> list[str]:
    messages = []
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            text = (error.message or "").strip() if error else ""
            user = event.step_failure_data.user_failure_data
            if user and user.description:
                text = user.description
            messages.append(f"{event.step_key}: {text}")
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                key = evaluation.asset_check_key
                messages.append(f"check {key.name} on {key.asset_key.to_user_string()} failed")
    return messages or ["the run failed without a step failure; see the run log above"]


def run_pipeline(settings: Settings, instance: DagsterInstance | None = None) -> RunOutcome:
    """Materialize ingest -> dbt build -> publish in this process through the real Definitions."""
    prepare_manifest()
    from orchestration.definitions import RECALL_JOB_NAME, build_definitions

    job = build_definitions(settings).resolve_job_def(RECALL_JOB_NAME)
    instance = instance or DagsterInstance.get()
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )
    return RunOutcome(
        success=result.success,
        run_id=result.run_id,
        settings=settings,
        failures=[] if result.success else _failure_messages(result),
    )
