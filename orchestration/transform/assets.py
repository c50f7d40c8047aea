"""dbt build of staging, intermediate and mart models; dbt tests surface as asset checks."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, ResourceParam
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.settings import Settings
from orchestration.transform.command import dbt_build_args
from orchestration.transform.project import recall_dbt_project


class LayerTranslator(DagsterDbtTranslator):
    """Groups the dbt assets by layer (reference seeds, staging, intermediate, marts), so the
    Dagster UI shows the flow of the tree."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        return dbt_resource_props["fqn"][1]


# Tests on the dbt sources check the raw tables the ingest assets write.
translator = LayerTranslator(DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))


@dbt_assets(
    manifest=recall_dbt_project.manifest_path,
    project=recall_dbt_project,
    dagster_dbt_translator=translator,
)
def recall_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, recall: ResourceParam[Settings]
) -> Iterator[Any]:
    # profiles.yml locates the working DuckDB file through RECALL_HOME; dbt runs as a
    # subprocess that inherits this environment.
    os.environ["RECALL_HOME"] = str(recall.home)
    context.log.info(
        f"Building the warehouse as of {recall.as_of_date or 'the latest transaction date'} "
        f"({recall.timezone}, {recall.currency})"
    )
    yield from dbt.cli(dbt_build_args(recall), context=context).stream()
