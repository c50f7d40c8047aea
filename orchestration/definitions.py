"""The one Definitions object of the warehouse, merged from its stages:
ingest (landing files -> raw tables) -> transform (dbt build; dbt tests as asset checks)
-> publish (the BI file)."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job
from dagster_dbt import DbtCliResource

from orchestration.ingest.assets import landing_ingest
from orchestration.publish.assets import published_warehouse
from orchestration.settings import Settings, load_settings
from orchestration.transform.assets import recall_dbt_models
from orchestration.transform.project import DBT_EXECUTABLE, recall_dbt_project

RECALL_JOB_NAME = "recall_warehouse"

recall_job = define_asset_job(
    RECALL_JOB_NAME,
    selection=AssetSelection.all(),
    description="Ingest new landing files, build and test the dbt models, publish the marts.",
)


def build_definitions(settings: Settings) -> Definitions:
    return Definitions(
        assets=[landing_ingest, recall_dbt_models, published_warehouse],
        jobs=[recall_job],
        resources={
            "dbt": DbtCliResource(project_dir=recall_dbt_project, dbt_executable=DBT_EXECUTABLE),
            # The settings themselves: every asset takes them as ResourceParam[Settings].
            "recall": settings,
        },
    )


defs = build_definitions(load_settings())
