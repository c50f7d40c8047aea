"""One headless Dagster run of the whole asset graph, and what to tell the operator after."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from dagster import DagsterEventType, DagsterInstance

from expectations import data_docs_index
from orchestration.checks.gates import table_row_counts
from orchestration.lib.build_copy import run_lock
from orchestration.settings import Settings
from orchestration.transform.project import prepare_manifest


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    settings: Settings
    failures: list[str] = field(default_factory=list)
    quarantine_file: Path | None = None

    def format_failure(self) -> str:
        published = self.settings.published_path
        lines = [
            f"Run {self.run_id} failed: nothing was published, and the BI file {published} "
            + (
                "is the last good publication, unchanged."
                if published.exists()
                else "has not been published yet."
            )
        ]
        lines += [f"  - {failure}" for failure in self.failures]
        if self.quarantine_file:
            lines.append(f"Rows quarantined or parked by this run: {self.quarantine_file}")
        lines += self._data_docs_lines()
        if self.settings.build_path.exists():
            lines.append(
                f"The failed build is kept for inspection at {self.settings.build_path}; the "
                "next run starts from the last good state."
            )
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
                *(
                    [f"Rows quarantined or parked by this run: {self.quarantine_file}"]
                    if self.quarantine_file
                    else []
                ),
                *published_summary_lines(self.settings.published_path),
                *self._data_docs_lines(),
            ]
        )

    def _data_docs_lines(self) -> list[str]:
        index = data_docs_index(self.settings.gx_dir)
        return [f"Data quality results (open in a browser): {index}"] if index.exists() else []


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
    lines = [f"BI file (open read-only): {published_path}"]
    lines += [
        f"  {table:<28} {rows:>12,} rows"
        for table, rows in table_row_counts(published_path).items()
    ]
    return lines


def failure_messages(result) -> list[str]:
    """One line per failed check (its own message: table, counts, sample), then the steps
    that failed for another reason. A step that failed only because its blocking checks did
    is not repeated."""
    checks, steps = [], []
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                key = evaluation.asset_check_key
                where = f"check {key.name} on {key.asset_key.to_user_string()} failed"
                checks.append(
                    f"{where}: {evaluation.description}" if evaluation.description else where
                )
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            text = (error.message or "").strip() if error else ""
            user = event.step_failure_data.user_failure_data
            if user and user.description:
                text = user.description
            if not text.startswith(_BLOCKING_CHECKS_FAILED):
                steps.append(f"{event.step_key}: {text}")
    return checks + steps or ["the run failed without a step failure; see the run log above"]


# How Dagster words a step failure caused by its failed blocking checks.
_BLOCKING_CHECKS_FAILED = "dagster._core.errors.DagsterAssetCheckFailedError"


def _quarantine_file(result) -> Path | None:
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            value = event.event_specific_data.materialization.metadata.get("quarantine_file")
            if value is not None:
                return Path(value.value)
    return None


def run_pipeline(settings: Settings, instance: DagsterInstance | None = None) -> RunOutcome:
    """Materialize ingest -> dbt build -> checks -> publish in this process through the real
    Definitions, holding the home's run lock."""
    prepare_manifest()
    from orchestration.definitions import RECALL_JOB_NAME, build_definitions

    job = build_definitions(settings).resolve_job_def(RECALL_JOB_NAME)
    instance = instance or DagsterInstance.get()
    with run_lock(settings):
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
    return RunOutcome(
        success=result.success,
        run_id=result.run_id,
        settings=settings,
        failures=[] if result.success else failure_messages(result),
        quarantine_file=_quarantine_file(result),
    )
