"""Validate the warehouse with the suites: one GX file context, one read-only DuckDB
connection, one checkpoint and one data docs build per call.

Layout under ``gx_dir`` (a GX file context rooted there):

- ``great_expectations.yml`` (the data source), ``expectations/<schema>/<table>.json``,
  ``validation_definitions/``, ``checkpoints/``: the suites as GX stores them, written
  from ``SUITES`` on every call (the code is the source of truth, not these files);
- ``uncommitted/validations/<schema>/<table>/<run name>/<run time>/...``: the results of
  the last ``keep_runs`` calls, with up to 200 unexpected rows per failed check;
- ``uncommitted/data_docs/local_site/index.html``: the data docs (``data_docs_index``),
  a static site: every suite, and the results of the kept runs.

Two calls must not share a ``gx_dir`` at the same time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from expectations.dbt_contract import project_vars
from expectations.spec import Suite

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.data_context import FileDataContext

DATASOURCE = "warehouse"
CHECKPOINT = "recall_warehouse"
BATCH = "whole_table"
SITE = "local_site"
SAMPLE_ROWS = 5
KEEP_RUNS = 10
# GX reads at most 200 unexpected rows per check; the stored results keep all of them.
RESULT_FORMAT = {"result_format": "COMPLETE"}


@dataclass(frozen=True)
class Failure:
    """One failed expectation: its name, the column it checks, how many unexpected rows
    its query found and the first few of them (JSON-serialisable). ``error`` is set when
    the expectation could not run at all (a missing table or column, bad SQL)."""

    expectation: str
    expectation_type: str
    column: str | None
    unexpected_count: int | None
    sample: list[dict[str, Any]]
    error: str | None = None

    def format(self) -> str:
        if self.error:
            return f"{self.expectation}: could not run ({self.error})"
        rows = "row" if self.unexpected_count == 1 else "rows"
        sample = f", e.g. {self.sample[0]}" if self.sample else ""
        return f"{self.expectation}: {self.unexpected_count:,} unexpected {rows}{sample}"


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    table: str
    layer: str
    success: bool
    evaluated_expectations: int
    failures: list[Failure] = field(default_factory=list)

    def format(self) -> str:
        """One line per failed expectation, naming the table (SPEC §7's failure message)."""
        if self.success:
            return f"{self.table}: {self.evaluated_expectations} expectations passed"
        return "\n".join(f"{self.table}: {failure.format()}" for failure in self.failures)


def data_docs_index(gx_dir: Path) -> Path:
    """The data docs page a browser opens."""
    return Path(gx_dir) / "uncommitted" / "data_docs" / SITE / "index.html"


def validate(
    database_path: Path,
    gx_dir: Path,
    suites: Sequence[Suite] | None = None,
    *,
    vars: Mapping[str, object] | None = None,
    run_name: str | None = None,
    keep_runs: int = KEEP_RUNS,
    duckdb_config: Mapping[str, str] | None = None,
    loaded_after: str | None = None,
) -> list[SuiteResult]:
    """Run ``suites`` (default: every suite) against the DuckDB file ``database_path``,
    opened read-only, store the results under ``gx_dir`` and rebuild the data docs once.

    ``vars`` override the ``dbt_project.yml`` vars the queries use (pass the run's vars).
    ``run_name`` labels the run in the data docs (e.g. the Dagster run id). Results of
    runs older than the last ``keep_runs`` are deleted, so the data docs stay fast.
    ``duckdb_config`` is the run's DuckDB settings (``Settings.duckdb_config``), for every
    connection to the file, GX's too; default: DuckDB's own. ``loaded_after`` (a timestamp)
    validates only the rows loaded after it, in the suites that know their new rows
    (``Suite.new_rows``); default: every row.
    """
    # Imported here: the package imports this module, and importing GX takes seconds.
    from expectations import SUITES
    from expectations._duckdb_workaround import enable_duckdb

    enable_duckdb()
    database_path = Path(database_path).resolve()
    if not database_path.is_file():
        raise FileNotFoundError(f"no DuckDB file to validate at {database_path}")
    suites = list(SUITES if suites is None else suites)
    config = dict(duckdb_config or {})
    missing = _missing_tables(database_path, suites, config)
    present = [s for s in suites if s.table not in missing]
    results = {s.name: _missing_table_result(s) for s in suites if s.table in missing}
    if present:
        results |= _run_suites(
            database_path, Path(gx_dir), present, vars, run_name, keep_runs, config, loaded_after
        )
    return [results[s.name] for s in suites]


def _run_suites(
    database_path: Path,
    gx_dir: Path,
    suites: list[Suite],
    vars: Mapping[str, object] | None,
    run_name: str | None,
    keep_runs: int,
    config: dict[str, str],
    loaded_after: str | None,
) -> dict[str, SuiteResult]:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    from expectations import SUITES

    run_vars = {**project_vars(), **(vars or {})}
    context = _context(gx_dir)
    # Every suite has an asset, not just those of this call: the context keeps the validation
    # definitions of earlier calls, and GX refuses a checkpoint whose assets are gone.
    everyone = {s.name: s.batch_query() for s in SUITES}
    everyone |= {s.name: s.batch_query(loaded_after) for s in suites}
    datasource = _datasource(context, database_path, everyone, config)
    try:
        definitions = [_definition(context, datasource, s, run_vars, loaded_after) for s in suites]
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=CHECKPOINT,
                validation_definitions=definitions,
                actions=[],
                result_format=RESULT_FORMAT,
            )
        )
        run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
        outcome = checkpoint.run(run_id=run_id)
    finally:
        _close(datasource)
    _prune(context, keep_runs)
    # One build for the whole run: the pages of this run's results and of the suites, and
    # the index (an UpdateDataDocsAction would rebuild the index once per suite).
    context.build_data_docs(
        site_names=[SITE],
        resource_identifiers=[
            *outcome.run_results,
            *(_suite_identifier(s.name) for s in suites),
        ],
    )
    by_name = {result.suite_name: result for result in outcome.run_results.values()}
    return {s.name: _suite_result(s, by_name[s.name]) for s in suites}


def _missing_tables(
    database_path: Path, suites: Sequence[Suite], config: dict[str, str]
) -> set[str]:
    """The suites' tables (or views) the file does not hold. Their suites fail with one
    clear failure each, before GX runs, rather than with an SQL error per check."""
    with duckdb.connect(str(database_path), read_only=True, config=config) as con:
        present = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "union all select schema_name, view_name from duckdb_views()"
            ).fetchall()
        }
    return {s.table for s in suites} - present


def _missing_table_result(suite: Suite) -> SuiteResult:
    return SuiteResult(
        suite=suite.name,
        table=suite.table,
        layer=suite.layer,
        success=False,
        evaluated_expectations=0,
        failures=[
            Failure(
                expectation="table exists",
                expectation_type="table_exists",
                column=None,
                unexpected_count=None,
                sample=[],
                error=f"{suite.table} is not in the database",
            )
        ],
    )


def _context(gx_dir: Path) -> FileDataContext:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    gx_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", context_root_dir=gx_dir)
    if context.variables.config_variables_file_path or context.variables.progress_bars is None:
        # A new context: no progress bars in the run log, and no config variables file,
        # which GX would otherwise read and parse again on every store access (about a
        # second per call). Nothing here uses config variables.
        context.variables.config_variables_file_path = None
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
        (gx_dir / "uncommitted" / "config_variables.yml").unlink(missing_ok=True)
        context = gx.get_context(mode="file", context_root_dir=gx_dir)
    return context


def _datasource(context, database_path: Path, queries: Mapping[str, str], config: dict[str, str]):
    """The warehouse as a GX SQL data source with one asset per suite (name: its batch
    query), written to the context's config in one save (adding assets one by one rewrites
    it for each).

    Query assets (``select * from schema.table``), not table assets: one data source reads
    every schema, and a table asset's ``schema_name`` is deprecated in GX 1.x in favour of
    one schema per data source connection. A query asset is not checked for its table
    until it is validated, so a missing table fails only its own suite."""
    return context.data_sources.add_or_update_sql(
        name=DATASOURCE,
        connection_string=f"duckdb:///{database_path.resolve()}",
        kwargs={"connect_args": {"read_only": True, "config": config}},
        assets=[
            {
                "name": name,
                "type": "query",
                "query": query,
                "batch_definitions": [{"name": BATCH}],
            }
            for name, query in queries.items()
        ],
    )


def _definition(
    context, datasource, suite: Suite, vars: Mapping[str, object], loaded_after: str | None
):
    import great_expectations as gx

    batch = datasource.get_asset(suite.name).get_batch_definition(BATCH)
    gx_suite = context.suites.add_or_update(
        gx.ExpectationSuite(
            name=suite.name,
            expectations=suite.expectations(vars, loaded_after),
            meta={"layer": suite.layer, "description": suite.description},
        )
    )
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
    )


def _suite_identifier(name: str):
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    return ExpectationSuiteIdentifier(name=name)


def _close(datasource) -> None:
    """Close every connection GX opened, so the file is free for the next writer: the
    persisted one of the execution engine and the data source's own (connection tests)."""
    execution_engine = datasource.get_execution_engine()
    if execution_engine._connection is not None:
        execution_engine._connection.close()
        execution_engine._connection = None
    execution_engine.close()
    datasource.get_engine().dispose()


def _prune(context, keep_runs: int) -> None:
    store = context.validation_results_store
    keys = store.list_keys()
    run_times = sorted({key.run_id.run_time for key in keys}, reverse=True)
    kept = set(run_times[:keep_runs])
    for key in keys:
        if key.run_id.run_time not in kept:
            store.remove_key(key)


def _suite_result(suite: Suite, result: ExpectationSuiteValidationResult) -> SuiteResult:
    failures = [_failure(r) for r in result.results if not r.success]
    return SuiteResult(
        suite=suite.name,
        table=suite.table,
        layer=suite.layer,
        success=bool(result.success),
        evaluated_expectations=int(result.statistics["evaluated_expectations"]),
        failures=failures,
    )


def _failure(result) -> Failure:
    from great_expectations.util import convert_to_json_serializable

    config = result.expectation_config
    meta = config.meta or {}
    details = result.result or {}
    exception = result.exception_info or {}
    # Either one exception, or one per metric that could not be computed.
    infos = [exception] if "raised_exception" in exception else list(exception.values())
    messages = [
        _first_line(info.get("exception_message"))
        for info in infos
        if isinstance(info, dict) and info.get("raised_exception")
    ]
    error = "; ".join(dict.fromkeys(m for m in messages if m)) or None
    rows = (details.get("details") or {}).get("unexpected_rows") or []
    return Failure(
        expectation=meta.get("check") or config.description or config.type,
        expectation_type=config.type,
        column=meta.get("column") or config.kwargs.get("column"),
        unexpected_count=details.get("observed_value", details.get("unexpected_count")),
        sample=convert_to_json_serializable(list(rows[:SAMPLE_ROWS])),
        error=error,
    )


def _first_line(message: object) -> str:
    lines = str(message or "").strip().splitlines()
    return lines[0] if lines else ""
