"""Shared fixtures: every test gets its own RECALL_HOME, never the developer's ./data."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked ``long`` first: a worker takes a whole module (``--dist loadfile``), and
    one started last would run on alone after the other worker has finished."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(autouse=True)
def _isolated_recall_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("recall_home")
    monkeypatch.setenv("RECALL_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    (home / "dagster").mkdir()
    for name in (
        "RECALL_LANDING",
        "RECALL_AS_OF",
        "RECALL_TIMEZONE",
        "RECALL_CURRENCY",
        "RECALL_DBT_THREADS",
        "RECALL_MEMORY_LIMIT",
        "RECALL_THREADS",
        "RECALL_DBT_AS_OF_DATE",
        "RECALL_DBT_NEW_FACTS_LOADED_AFTER",
        "RECALL_DBT_NEW_FACTS_OCCURRED_FROM",
        "RECALL_DBT_STATES_FROM",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """The dbt manifest the Dagster definitions load (``dbt parse`` when stale)."""
    from orchestration.transform.project import prepare_manifest

    return prepare_manifest()
