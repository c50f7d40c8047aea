"""dbt build of staging, intermediate and mart models; dbt tests surface as asset checks."""

import json
import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import duckdb
from dagster import AssetExecutionContext
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.config import Settings
from orchestration.project import recall_dbt_project
from orchestration.resources import RecallSettings


def resolve_as_of_date(settings: Settings) -> date | None:
    """The as-of date D of a run: the configured date, otherwise the latest transaction date
    in the reporting timezone (None when there are no transactions yet)."""
    if settings.as_of_date is not None:
        return settings.as_of_date
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        row = con.execute(
            "select cast(max(timezone(?, timezone('UTC', occurred_at))) as date) "
            "from raw.transactions",
            [settings.timezone],
        ).fetchone()
    return row[0] if row else None


def dbt_vars(settings: Settings, as_of: date | None) -> dict[str, Any]:
    return {
        "as_of_date": as_of.isoformat() if as_of else None,
        "reporting_timezone": settings.timezone,
        "reporting_currency": settings.currency,
    }


# Tests on the dbt sources check the raw tables the ingest assets write.
translator = DagsterDbtTranslator(DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))


@dbt_assets(
    manifest=recall_dbt_project.manifest_path,
    project=recall_dbt_project,
    dagster_dbt_translator=translator,
)
def recall_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, recall: RecallSettings
) -> Iterator[Any]:
    settings = recall.settings()
    # profiles.yml locates the working DuckDB file through RECALL_HOME; dbt runs as a
    # subprocess that inherits this environment.
    os.environ["RECALL_HOME"] = str(settings.home)
    as_of = resolve_as_of_date(settings)
    context.log.info(
        f"Building the warehouse as of {as_of or 'the latest transaction date'} "
        f"({settings.timezone}, {settings.currency})"
    )
    # Unit tests pin the rules under the default vars; they belong to development and CI
    # (tests/dbt runs them), not to a nightly run whose vars, timezone or currency differ.
    yield from dbt.cli(
        [
            "build",
            "--exclude-resource-type",
            "unit_test",
            "--vars",
            json.dumps(dbt_vars(settings, as_of)),
        ],
        context=context,
    ).stream()
