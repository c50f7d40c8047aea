"""The one Definitions object of the warehouse: ingest -> dbt build -> publish."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import recall_dbt_models
from orchestration.assets.ingest import landing_ingest
from orchestration.assets.publish import published_warehouse
from orchestration.config import Settings, load_settings
from orchestration.project import DBT_EXECUTABLE, recall_dbt_project
from orchestration.resources import RecallSettings

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
            "recall": RecallSettings.from_settings(settings),
        },
    )


defs = build_definitions(load_settings())
