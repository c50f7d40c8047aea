"""Publish: the marts of this run's build copy, once built and checked, swapped atomically
into the BI file (and, built on Spark, their Parquet folders into Spark's ``published``
schema); then the build copy becomes the working file."""

from pathlib import Path

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
)
from dagster_dbt import DbtCliResource

from orchestration.lib.build_copy import check_build, promote_build
from orchestration.lib.environment import environment
from orchestration.publish.bi_file import Refresh, publish_marts
from orchestration.settings import Settings
from orchestration.transform.assets import mart_keys
from orchestration.transform.build_state import built_incrementally, states_rewritten_from
from orchestration.transform.docs import publish_docs
from orchestration.transform.project import recall_dbt_project
from orchestration.transform.spark import publish_spark_marts

# The published facts a nightly build only adds to (build_state: nothing already built
# changes), with their keys; the customer month ends it replaces from a date on (the date
# its customer states were evaluated again from).
APPENDED_FACTS = {"fct_transactions": "transaction_id"}
REPLACED_MONTH_ENDS = {"customer_lifecycle_monthly": "month_end"}
PUBLICATION_TABLE = "publish.last_publication"


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def record_publication(build: Path, published: Path) -> None:
    """Note in the build copy which BI file it published (its size and modification time)."""
    size, modified = _stamp(published)
    with duckdb.connect(str(build)) as con:
        con.execute("create schema if not exists publish")
        con.execute(
            f"create or replace table {PUBLICATION_TABLE} "
            "(size_bytes bigint not null, modified_ns bigint not null)"
        )
        con.execute(f"insert into {PUBLICATION_TABLE} values (?, ?)", [size, modified])


def appended_tables(build: Path, published: Path) -> dict[str, Refresh]:
    """The tables this publication may bring up to date rather than copy again: the facts
    and the customer month ends, when this build added to the last one and the BI file in
    place is the one that build's predecessor published (not a file restored or left by a
    run killed before it finished)."""
    if not published.exists():
        return {}
    with duckdb.connect(str(build), read_only=True) as con:
        if (
            not built_incrementally(con)
            or not con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'publish' and table_name = 'last_publication'"
            ).fetchone()[0]
        ):
            return {}
        recorded = con.execute(
            f"select size_bytes, modified_ns from {PUBLICATION_TABLE}"
        ).fetchone()
        states_from = states_rewritten_from(con)
    if recorded != _stamp(published):
        return {}
    refreshed = {table: Refresh(key) for table, key in APPENDED_FACTS.items()}
    if states_from is not None:
        refreshed |= {
            table: Refresh(column, states_from) for table, column in REPLACED_MONTH_ENDS.items()
        }
    return refreshed


def _refreshes(refreshed: dict[str, Refresh]) -> str:
    added = [table for table, how in refreshed.items() if how.from_date is None]
    replaced = [
        f"{table} from {how.from_date}" for table, how in refreshed.items() if how.from_date
    ]
    return "; ".join(
        ([f"adding the new rows of {', '.join(added)}"] if added else [])
        + ([f"replacing {', '.join(replaced)}"] if replaced else [])
    )


@asset(
    key=AssetKey(["published", "recall_duckdb"]),
    deps=mart_keys(),
    group_name="publish",
    description="The read-only DuckDB file BI tools open: every mart, no personal data (and, "
    "on Spark, the marts as the Parquet tables of Spark's published schema).",
)
def published_warehouse(
    context: AssetExecutionContext, dbt: DbtCliResource, recall: ResourceParam[Settings]
) -> MaterializeResult:
    build = check_build(recall, context.run.run_id)
    appended = appended_tables(build, recall.published_path)
    context.log.info(
        f"Publishing the checked marts to {recall.published_path}"
        + (f" ({_refreshes(appended)})" if appended else "")
    )
    result = publish_marts(
        build,
        recall.published_path,
        manifest_path=recall_dbt_project.manifest_path,
        duckdb_config=recall.duckdb_config,
        appended=appended,
    )
    record_publication(build, recall.published_path)
    spark = None
    if recall.engine == "spark":
        with environment({"RECALL_HOME": str(recall.home)}):
            spark = publish_spark_marts(dbt, recall, sorted(result.row_counts))
        context.log.info(f"Published the marts as Spark's published schema, under {spark}")
    docs = publish_docs(recall)
    # After the BI file: a run killed in between publishes the same tables again next time.
    promote_build(recall)
    context.log.info(
        f"Published {len(result.row_counts)} tables to {result.path}"
        + (f"; their documentation: {docs}" if docs else "")
    )
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(result.path)),
            **({"spark_path": MetadataValue.path(str(spark))} if spark else {}),
            **({"docs": MetadataValue.path(str(docs))} if docs else {}),
            **{f"rows.{table}": rows for table, rows in result.row_counts.items()},
        }
    )
