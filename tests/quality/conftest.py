"""A small warehouse built once for the quality tests: generated landing files (seeded),
the real ingest, and the dbt models and seeds (``dbt build`` without its tests, which
other test folders run), in a temporary home."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration.ingest.load import ingest_landing
from orchestration.settings import PROJECT_DIR, Settings
from sample_data import generate

CUSTOMERS = 300
SEED = 7


@pytest.fixture(scope="session")
def clean_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working DuckDB file of a fresh build; tests copy it before changing it."""
    home = tmp_path_factory.mktemp("quality_home")
    settings = Settings(home=home, landing_dir=home / "landing")
    generate(settings.landing_dir, customers=CUSTOMERS, seed=SEED)
    ingest_landing(settings)
    env = {**os.environ, "RECALL_HOME": str(home)}
    for name in ("RECALL_BUILD_DATABASE", "RECALL_AS_OF", "RECALL_TIMEZONE", "RECALL_CURRENCY"):
        env.pop(name, None)
    build = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "build",
            "--resource-type",
            "seed",
            "--resource-type",
            "model",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            # Its own target and logs, so a concurrent dbt run of the project is undisturbed.
            "--target-path",
            str(home / "target"),
            "--log-path",
            str(home / "logs"),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return settings.warehouse_path


@pytest.fixture(scope="session")
def warehouse_copy(clean_warehouse: Path) -> Callable[[Path], Path]:
    """Copies the clean build into a directory, to change it. A copy keeps the file name:
    DuckDB names the catalog after the file, and the staging views refer to theirs."""

    def copy(directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / clean_warehouse.name
        shutil.copyfile(clean_warehouse, target)
        return target

    return copy
