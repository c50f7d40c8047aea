"""Publish: the marts of this run's build copy, once built and checked, swapped atomically
into the BI file; then the build copy becomes the working file."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
)

from orchestration.lib.build_copy import check_build, promote_build
from orchestration.publish.bi_file import publish_marts
from orchestration.settings import Settings
from orchestration.transform.assets import mart_keys
from orchestration.transform.project import recall_dbt_project


@asset(
    key=AssetKey(["published", "recall_duckdb"]),
    deps=mart_keys(),
    group_name="publish",
    description="The read-only DuckDB file BI tools open: every mart, no personal data.",
)
def published_warehouse(
    context: AssetExecutionContext, recall: ResourceParam[Settings]
) -> MaterializeResult:
    context.log.info(f"Publishing the checked marts to {recall.published_path}")
    result = publish_marts(
        check_build(recall, context.run.run_id),
        recall.published_path,
        manifest_path=recall_dbt_project.manifest_path,
        duckdb_config=recall.duckdb_config,
    )
    # After the BI file: a run killed in between publishes the same tables again next time.
    promote_build(recall)
    context.log.info(f"Published {len(result.row_counts)} tables to {result.path}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(result.path)),
            **{f"rows.{table}": rows for table, rows in result.row_counts.items()},
        }
    )
