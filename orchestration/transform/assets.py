"""dbt build of staging, intermediate and mart models; dbt tests surface as asset checks."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, ResourceParam
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.lib.build_copy import check_build
from orchestration.lib.business_date import settings_for_run
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
    # profiles.yml locates the file dbt writes, this run's build copy, through
    # RECALL_BUILD_DATABASE; dbt runs as a subprocess that inherits this environment.
    settings = settings_for_run(recall, context.run.tags)
    os.environ["RECALL_HOME"] = str(settings.home)
    os.environ["RECALL_BUILD_DATABASE"] = str(check_build(settings, context.run.run_id))
    context.log.info(
        f"Building the warehouse as of {settings.as_of_date or 'the latest transaction date'} "
        f"({settings.timezone}, {settings.currency})"
    )
    try:
        yield from dbt.cli(dbt_build_args(settings), context=context).stream()
    finally:
        # Anything else that runs dbt in this process builds the working file again.
        del os.environ["RECALL_BUILD_DATABASE"]


def mart_keys() -> list[AssetKey]:
    """The published tables: every model of models/marts/."""
    return [key for key in recall_dbt_models.keys if key.path[0] == "marts"]
