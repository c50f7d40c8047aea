"""Publish: the marts, once built and tested, swapped atomically into the BI file."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
)

from orchestration.publish.bi_file import publish_marts
from orchestration.settings import Settings
from orchestration.transform.assets import recall_dbt_models
from orchestration.transform.project import recall_dbt_project


def _mart_keys() -> list[AssetKey]:
    return [key for key in recall_dbt_models.keys if key.path[0] == "marts"]


@asset(
    key=AssetKey(["published", "recall_duckdb"]),
    deps=_mart_keys(),
    group_name="publish",
    description="The read-only DuckDB file BI tools open: every mart, no personal data.",
)
def published_warehouse(
    context: AssetExecutionContext, recall: ResourceParam[Settings]
) -> MaterializeResult:
    result = publish_marts(
        recall.warehouse_path,
        recall.published_path,
        manifest_path=recall_dbt_project.manifest_path,
    )
    context.log.info(f"Published {len(result.row_counts)} tables to {result.path}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(result.path)),
            **{f"rows.{table}": rows for table, rows in result.row_counts.items()},
        }
    )
