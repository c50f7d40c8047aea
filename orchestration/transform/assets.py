"""dbt build of staging, intermediate and mart models; dbt tests surface as asset checks."""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, Failure, ResourceParam
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.lib.build_copy import check_build
from orchestration.lib.business_date import settings_for_run
from orchestration.lib.environment import environment
from orchestration.settings import Settings
from orchestration.transform.build_state import plan_build, record_build
from orchestration.transform.command import dbt_build_args, dbt_build_env, dbt_target
from orchestration.transform.docs import docs_page, generate_docs
from orchestration.transform.project import recall_dbt_project
from orchestration.transform.spark import (
    JAVA_NEEDED,
    checked_models,
    has_java,
    load_checked_models,
    prepare_spark_inputs,
    spark_heap_mib,
    write_checked_models,
)


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
    if settings.engine == "spark" and not has_java():
        raise Failure(description=JAVA_NEEDED)
    build = check_build(settings, context.run.run_id)
    with duckdb.connect(str(build), read_only=True) as con:
        plan = plan_build(con, settings)
    engine = (
        f"Spark heap {spark_heap_mib(settings)} MiB"
        if settings.engine == "spark"
        else f"DuckDB memory_limit={settings.memory_limit}, threads={settings.threads}"
    )
    context.log.info(
        f"Building the warehouse as of {settings.as_of_date or 'the latest transaction date'} "
        f"({settings.timezone}, {settings.currency}; {engine}): {plan.describe()}"
    )
    # dbt runs as a subprocess that inherits this environment. profiles.yml locates the file
    # dbt writes, this run's build copy, through RECALL_BUILD_DATABASE, and sets DuckDB's
    # memory limit and threads from RECALL_MEMORY_LIMIT and RECALL_THREADS; Spark's folders
    # are under RECALL_HOME, and its heap is the same memory limit.
    run_env = {
        "RECALL_HOME": str(settings.home),
        "RECALL_BUILD_DATABASE": str(build),
        "RECALL_MEMORY_LIMIT": settings.memory_limit,
        "RECALL_THREADS": str(settings.threads),
        "RECALL_SPARK_MEMORY": f"{spark_heap_mib(settings)}m",
        **dbt_build_env(settings, plan),
    }
    if settings.engine == "spark":
        run_env |= prepare_spark_inputs(settings, build, context.log.info)
    with environment(run_env):
        # One target folder per home and engine, kept from run to run, so dbt parses again
        # only what changed since the last run (its partial_parse.msgpack); the run lock
        # keeps it to one dbt at a time.
        yield from dbt.cli(
            dbt_build_args(settings, plan), context=context, target_path=dbt_target(settings)
        ).stream()
        if settings.engine == "spark":
            _load_from_spark(context, dbt, settings, build)
        if plan.after_a_change or not docs_page(settings).exists():
            context.log.info("Generating the dbt docs site (the models or settings changed)")
            generate_docs(settings)
    with duckdb.connect(str(build)) as con:
        record_build(con, settings, plan)


def _load_from_spark(
    context: AssetExecutionContext, dbt: DbtCliResource, settings: Settings, build: Path
) -> None:
    """The models the checks read, built on Spark, into the build copy (transform/spark.py)."""
    models = checked_models(recall_dbt_project.manifest_path)
    context.log.info(f"Writing the {len(models)} models the checks read from Spark as Parquet")
    output = write_checked_models(dbt, settings, models)
    loaded = load_checked_models(build, output, models)
    context.log.info(
        f"Loaded {len(loaded)} models built on Spark into {build} for the checks "
        f"({sum(loaded.values()):,} rows)"
    )


def mart_keys() -> list[AssetKey]:
    """The published tables: every model of models/marts/."""
    return [key for key in recall_dbt_models.keys if key.path[0] == "marts"]
