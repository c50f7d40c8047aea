"""The Great Expectations suites of ``expectations/`` as blocking Dagster asset checks: the
raw suites gate the dbt build, the staging and mart suites gate the publication. Each layer
is one step (one GX context, one read-only connection to the build copy); each suite is one
check on its table's asset, whose metadata names the failing expectations, their unexpected
counts and a sample. Results and data docs are kept under ``$RECALL_HOME/gx/``."""

from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    ResourceParam,
    multi_asset_check,
)

from expectations import SUITES, Suite, SuiteResult
from orchestration.lib.build_copy import check_build
from orchestration.lib.business_date import settings_for_run
from orchestration.settings import Settings
from orchestration.transform.build_state import raw_validated_through
from orchestration.transform.command import dbt_vars

CHECK_NAME = "expectations"


def suite_asset_key(suite: Suite) -> AssetKey:
    """raw.transactions -> raw/transactions, marts.fct_transactions -> marts/fct_transactions:
    the ingest and dbt asset keys follow the warehouse's schema.table names."""
    return AssetKey([suite.schema, suite.table_name])


def result_description(result: SuiteResult) -> str:
    if result.success:
        return f"{result.evaluated_expectations} expectations passed"
    return "; ".join(failure.format() for failure in result.failures)


def _result_metadata(result: SuiteResult, docs: str) -> dict[str, object]:
    return {
        "evaluated_expectations": result.evaluated_expectations,
        "failed_expectations": len(result.failures),
        "failures": [
            {
                "expectation": f.expectation,
                "column": f.column,
                "unexpected_count": f.unexpected_count,
                "sample": f.sample,
                **({"error": f.error} if f.error else {}),
            }
            for f in result.failures
        ],
        "data_docs": MetadataValue.path(docs),
    }


def _new_rows_after(settings: Settings, build: Path) -> str | None:
    """For the raw suites: the load time after which the build copy's raw rows are new (the
    rows before it passed these suites in the last build), or None to validate them whole."""
    with duckdb.connect(str(build), read_only=True, config=settings.duckdb_config) as con:
        return raw_validated_through(con)


def _suite_checks(
    name: str, suites: Sequence[Suite], description: str, new_rows_only: bool = False
):
    @multi_asset_check(
        specs=[
            AssetCheckSpec(
                CHECK_NAME,
                asset=suite_asset_key(suite),
                blocking=True,
                description=suite.description or f"Great Expectations suite {suite.table}",
            )
            for suite in suites
        ],
        name=name,
        description=description,
    )
    def _check(
        context: AssetCheckExecutionContext, recall: ResourceParam[Settings]
    ) -> Iterator[AssetCheckResult]:
        from expectations import data_docs_index, validate  # GX takes seconds to import

        build = check_build(recall, context.run.run_id)
        loaded_after = _new_rows_after(recall, build) if new_rows_only else None
        if loaded_after is not None:
            context.log.info(f"validating the rows loaded after {loaded_after}")
        results = validate(
            build,
            recall.gx_dir,
            suites,
            vars=dbt_vars(settings_for_run(recall, context.run.tags)),
            run_name=context.run.run_id,
            duckdb_config=recall.duckdb_config,
            loaded_after=loaded_after,
        )
        docs = str(data_docs_index(recall.gx_dir))
        failed = [r for r in results if not r.success]
        context.log.info(
            f"{len(results) - len(failed)} of {len(results)} suites passed; data docs: {docs}"
        )
        for result in results:
            yield AssetCheckResult(
                asset_key=suite_asset_key(next(s for s in suites if s.table == result.table)),
                check_name=CHECK_NAME,
                passed=result.success,
                severity=AssetCheckSeverity.ERROR,
                description=f"{result.table}: {result_description(result)}",
                metadata=_result_metadata(result, docs),
            )

    return _check


raw_expectations = _suite_checks(
    "raw_expectations",
    [s for s in SUITES if s.layer == "raw"],
    "The raw tables of this run's build: types, keys, accepted values, ranges, references. "
    "A run after a successful build validates the rows it loaded (their keys against every "
    "row); the first run, new suites or a replaced file validate every row.",
    new_rows_only=True,
)
warehouse_expectations = _suite_checks(
    "warehouse_expectations",
    [s for s in SUITES if s.layer != "raw"],
    "The staging views and every published mart: the checks of SPEC §7.",
)

SUITE_CHECKS = [raw_expectations, warehouse_expectations]
