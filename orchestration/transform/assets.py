"""dbt build of staging, intermediate and mart models; dbt tests surface as asset checks."""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import duckdb
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
from orchestration.transform.build_state import plan_build, record_build
from orchestration.transform.command import dbt_build_args, dbt_build_env, dbt_target
from orchestration.transform.docs import docs_page, generate_docs
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
    settings = settings_for_run(recall, context.run.tags)
    build = check_build(settings, context.run.run_id)
    with duckdb.connect(str(build), read_only=True) as con:
        plan = plan_build(con, settings)
    context.log.info(
        f"Building the warehouse as of {settings.as_of_date or 'the latest transaction date'} "
        f"({settings.timezone}, {settings.currency}; DuckDB memory_limit="
        f"{settings.memory_limit}, threads={settings.threads}): {plan.describe()}"
    )
    # dbt runs as a subprocess that inherits this environment. profiles.yml locates the file
    # dbt writes, this run's build copy, through RECALL_BUILD_DATABASE, and sets DuckDB's
    # memory limit and threads from RECALL_MEMORY_LIMIT and RECALL_THREADS.
    run_env = {
        "RECALL_HOME": str(settings.home),
        "RECALL_BUILD_DATABASE": str(build),
        "RECALL_MEMORY_LIMIT": settings.memory_limit,
        "RECALL_THREADS": str(settings.threads),
        **dbt_build_env(settings, plan),
    }
    with _environment(run_env):
        # One target folder per home, kept from run to run, so dbt parses again only what
        # changed since the last run (its partial_parse.msgpack); the run lock keeps it to one
        # dbt at a time.
        yield from dbt.cli(
            dbt_build_args(settings, plan), context=context, target_path=dbt_target(settings)
        ).stream()
        if plan.full or not docs_page(settings).exists():
            context.log.info("Generating the dbt docs site (the models or settings changed)")
            generate_docs(settings)
    with duckdb.connect(str(build)) as con:
        record_build(con, settings, plan)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Sets ``values`` in this process's environment and restores it afterwards, so anything
    else that runs dbt in this process builds the working file again, with its own settings."""
    given = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in given.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def mart_keys() -> list[AssetKey]:
    """The published tables: every model of models/marts/."""
    return [key for key in recall_dbt_models.keys if key.path[0] == "marts"]
