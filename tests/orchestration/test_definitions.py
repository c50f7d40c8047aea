"""The Dagster definitions load and wire ingest -> dbt -> publish."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey


def test_definitions_load_with_the_whole_graph(dbt_manifest: Path) -> None:
    from orchestration.definitions import RECALL_JOB_NAME, defs

    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {
        "raw/contacts",
        "raw/transactions",
        "raw/recall_touches",
        "raw/campaigns",
        "marts/dim_customers",
        "marts/dim_campaigns",
        "marts/fct_transactions",
        "marts/fct_recall_touches",
        "published/recall_duckdb",
    } <= keys
    assert defs.resolve_job_def(RECALL_JOB_NAME) is not None


def test_dbt_sources_are_the_ingest_assets_and_publish_waits_for_every_mart(
    dbt_manifest: Path,
) -> None:
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    assert (
        AssetKey(["raw", "transactions"])
        in graph.get(AssetKey(["staging", "stg_transactions"])).parent_keys
    )
    marts = {key for key in graph.get_all_asset_keys() if key.path[0] == "marts"}
    assert marts
    assert graph.get(AssetKey(["published", "recall_duckdb"])).parent_keys == marts


def test_dbt_tests_surface_as_asset_checks(dbt_manifest: Path) -> None:
    from orchestration.definitions import defs

    checks = defs.resolve_asset_graph().asset_check_keys
    assert any(
        check.asset_key == AssetKey(["marts", "fct_transactions"]) and "unique" in check.name
        for check in checks
    )
