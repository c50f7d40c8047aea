"""One headless Dagster run of the whole asset graph, and what to tell the operator after.

The final summary tells the whole truth of the run (SPEC §10): what ingest did with every
file and row (read from the ingest asset's own report), the warnings an operator must act
on, the gates passed and failed, what was published, and where the full log is.
"""

from __future__ import annotations

import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from dagster import DagsterEventType, DagsterInstance

from expectations import data_docs_index
from orchestration.checks.gates import table_row_counts
from orchestration.ingest.summary import IngestSummary
from orchestration.lib.build_copy import run_lock
from orchestration.run_output import PROGRESS_LOGGER, RunDisplay, run_output, stage_of
from orchestration.settings import Settings
from orchestration.transform.build_state import last_build_description
from orchestration.transform.project import prepare_manifest

# The run-level gates (SPEC §7), by check name; every other check is a dbt test.
GATES = {
    "max_quarantine_share": "quarantine share",
    "min_volume_ratio": "volume",
    "transactions_fresh": "freshness",
    "expectations": "expectation suites",
}
# How DuckDB words an allocation beyond its memory limit, in Python and through dbt alike.
OUT_OF_MEMORY = "Out of Memory Error"


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    settings: Settings
    failures: list[str] = field(default_factory=list)
    quarantine_file: Path | None = None
    ingest: IngestSummary | None = None
    checks: Counter[tuple[str, bool]] = field(default_factory=Counter)
    log_file: Path | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        """What ``--strict`` fails on: rejected files, files of which nothing loaded, and
        rows quarantined in this run."""
        if self.ingest is None:
            return ()
        warnings = list(self.ingest.warnings)
        quarantined = self.ingest.total("quarantined")
        if quarantined:
            warnings.append(f"{quarantined:,} rows were quarantined in this run")
        return tuple(warnings)

    def format_failure(self) -> str:
        published = self.settings.published_path
        lines = [
            f"Run {self.run_id[:8]} failed: nothing was published, and the BI file {published} "
            + (
                "is the last good publication, unchanged."
                if published.exists()
                else "has not been published yet."
            )
        ]
        lines += [f"  - {failure}" for failure in self.failures]
        if any(OUT_OF_MEMORY in failure for failure in self.failures):
            lines.append(
                f"DuckDB ran out of memory at memory_limit={self.settings.memory_limit}: raise "
                "it with --memory-limit or RECALL_MEMORY_LIMIT, or lower --threads"
            )
        lines += self._ingest_lines()
        lines += self._check_lines()
        lines += self._data_docs_lines()
        if self.settings.build_path.exists():
            lines.append(
                f"The failed build is kept for inspection at {self.settings.build_path}; the "
                "next run starts from the last good state."
            )
        lines += self._log_lines()
        lines += self._warning_lines()
        lines.append("Fix the cause and run again.")
        return "\n".join(lines)

    def format_summary(self, seconds: float) -> str:
        return "\n".join(
            [
                f"Run {self.run_id[:8]} published in {seconds:.0f} s.",
                *self._ingest_lines(),
                *reconciliation_lines(self.settings.warehouse_path),
                *build_lines(self.settings.warehouse_path),
                *self._check_lines(),
                *published_summary_lines(self.settings.published_path),
                *self._spark_lines(),
                *self._data_docs_lines(),
                *self._log_lines(),
                *self._warning_lines(),
            ]
        )

    def _warning_lines(self) -> list[str]:
        if not self.warnings:
            return []
        return ["Warnings:", *(f"  - {warning}" for warning in self.warnings)]

    def _ingest_lines(self) -> list[str]:
        if self.ingest is None:
            return []
        # Its warnings close the summary, where --strict acts on them.
        lines = [line for line in self.ingest.format().splitlines() if "WARNING:" not in line]
        if self.quarantine_file:
            lines.append(
                f"  Rows quarantined or parked by this run, to read: {self.quarantine_file}"
            )
        return lines

    def _check_lines(self) -> list[str]:
        if not self.checks:
            return []
        parts = []
        for name, label in GATES.items():
            passed, failed = self.checks[(name, True)], self.checks[(name, False)]
            if passed or failed:
                parts.append(f"{label} {passed}/{passed + failed}")
        tests_passed = sum(n for (name, ok), n in self.checks.items() if ok and name not in GATES)
        tests_failed = sum(
            n for (name, ok), n in self.checks.items() if not ok and name not in GATES
        )
        failed = sum(n for (_, ok), n in self.checks.items() if not ok)
        verdict = "all passed" if not failed else f"{failed} FAILED"
        return [
            f"Checks, {verdict}: gates passed {', '.join(parts)}; dbt tests passed "
            f"{tests_passed}/{tests_passed + tests_failed}."
        ]

    def _spark_lines(self) -> list[str]:
        folder = self.settings.published_spark_dir
        if self.settings.engine == "spark":
            return [
                f"Built on Spark; the same marts as Parquet, Spark's published schema: {folder}"
            ]
        if folder.exists():
            return [
                f"Not updated by this run on DuckDB: {folder}, the marts of the last run on "
                "Spark (run with --engine spark to publish there again)."
            ]
        return []

    def _data_docs_lines(self) -> list[str]:
        lines = []
        site = self.settings.home / "docs" / "index.html"
        if self.success and site.exists():
            lines.append(f"Table and column documentation (open in a browser): {site}")
        index = data_docs_index(self.settings.gx_dir)
        if index.exists():
            lines.append(f"Data quality results (open in a browser): {index}")
        return lines

    def _log_lines(self) -> list[str]:
        return [f"Full log: {self.log_file}"] if self.log_file else []


def reconciliation_lines(warehouse_path: Path) -> list[str]:
    """Every landing file loaded so far reconciles, or the ones that do not."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select relative_path, reconciles from ingest.file_reconciliation order by file_id"
        ).fetchall()
    broken = [path for path, ok in rows if not ok]
    if not broken:
        return [
            f"All {len(rows):,} loaded landing files reconcile: rows read = loaded + "
            "quarantined + parked + exact duplicates (ingest.file_reconciliation)."
        ]
    return [f"DOES NOT RECONCILE (see ingest.file_reconciliation): {', '.join(broken)}"]


def build_lines(warehouse_path: Path) -> list[str]:
    """How dbt built: adding the new facts, or in full and why (transform/build_state.py)."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        how = last_build_description(con)
    return [f"dbt build, {how}."] if how else []


def published_summary_lines(published_path: Path) -> list[str]:
    lines = [f"Published, for BI (open read-only): {published_path}"]
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
    return checks + steps or ["the run failed without a step failure; see the full log"]


# How Dagster words a step failure caused by its failed blocking checks.
_BLOCKING_CHECKS_FAILED = "dagster._core.errors.DagsterAssetCheckFailedError"


def _materialization_metadata(result, key: str):
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            value = event.event_specific_data.materialization.metadata.get(key)
            if value is not None:
                return value.value
    return None


def _check_counts(result) -> Counter[tuple[str, bool]]:
    counts: Counter[tuple[str, bool]] = Counter()
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            counts[(evaluation.asset_check_key.name, evaluation.passed)] += 1
    return counts


class RunCrashedError(RuntimeError):
    """The run could not be carried out at all (not a failed step: those end in a summary);
    the message ends with the log file that holds the traceback."""


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else "no message"


def _execute_job(
    settings: Settings,
    instance: DagsterInstance | None,
    run_id: str,
    business_date: date | None,
    display: RunDisplay,
):
    prepare_manifest()
    from orchestration.definitions import RECALL_JOB_NAME, build_definitions
    from orchestration.schedules.nightly import NIGHTLY_JOB_NAME

    job_name = RECALL_JOB_NAME if business_date is None else NIGHTLY_JOB_NAME
    job = build_definitions(settings).resolve_job_def(job_name)
    display.check_steps = sum(stage_of(node.name) == "check" for node in job.nodes)
    return job.execute_in_process(
        instance=instance or DagsterInstance.get(),
        run_id=run_id,
        partition_key=business_date.isoformat() if business_date else None,
        raise_on_error=False,
        run_config={
            "loggers": {"console": {"config": {"log_level": "DEBUG"}}, PROGRESS_LOGGER: {}}
        },
    )


def new_run_id() -> str:
    return str(uuid.uuid4())


def log_file_for(settings: Settings, run_id: str) -> Path:
    return settings.logs_dir / f"{datetime.now(UTC):%Y-%m-%dT%H%M%S}-{run_id[:8]}.log"


def run_pipeline(
    settings: Settings,
    instance: DagsterInstance | None = None,
    *,
    verbose: bool = False,
    business_date: date | None = None,
) -> RunOutcome:
    """Materialize ingest -> dbt build -> checks -> publish in this process through the real
    Definitions, holding the home's run lock, with the run's log in ``$RECALL_HOME/logs``.

    With a ``business_date``, the run is the nightly job's run of that partition (as the
    schedule and backfills start it), and describes that date; without, the ad-hoc job."""
    run_id = new_run_id()
    log_file = log_file_for(settings, run_id)
    with run_lock(settings), run_output(log_file, verbose=verbose) as display:
        try:
            result = _execute_job(settings, instance, run_id, business_date, display)
        except Exception as error:
            traceback.print_exc()  # into the run's log
            if verbose:
                raise
            raise RunCrashedError(
                f"{type(error).__name__}: {_first_line(error)} (the traceback is in {log_file})"
            ) from error
    from orchestration.ingest.assets import INGEST_REPORT

    report = _materialization_metadata(result, INGEST_REPORT)
    quarantine_file = _materialization_metadata(result, "quarantine_file")
    return RunOutcome(
        success=result.success,
        run_id=result.run_id,
        settings=settings,
        failures=[] if result.success else failure_messages(result),
        quarantine_file=Path(quarantine_file) if quarantine_file else None,
        ingest=IngestSummary.from_dict(report) if report else None,
        checks=_check_counts(result),
        log_file=log_file,
    )
