"""A home with one good publication, shared by the gate and recovery tests (each copies it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from integration_helpers import recall_run

from sample_data import generate


@pytest.fixture(scope="session")
def landings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 300-customer history delivered up to its last month, and in full."""
    root = tmp_path_factory.mktemp("deliveries")
    full = root / "full"
    generate(full, customers=300, seed=9)
    first = root / "first"
    shutil.copytree(full, first)
    for source in ("contacts", "transactions", "recall_touches"):
        sorted((first / source).glob("*.csv"))[-1].unlink()
    return first, full


@pytest.fixture(scope="session")
def published_home(tmp_path_factory: pytest.TempPathFactory, landings, dbt_manifest: Path) -> Path:
    """A home that published the first delivery. Copy it with :func:`copy_home`."""
    home = tmp_path_factory.mktemp("published_home") / "home"
    result = recall_run(home, landings[0])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home
