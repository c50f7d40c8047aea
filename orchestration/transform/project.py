"""The single dbt project the warehouse runs, and the preparation of its manifest.

dagster-dbt reads ``target/manifest.json`` when the definitions load, so every entry point
(the ``recall`` command, the tests, ``recall ui``) calls :func:`prepare_manifest` first.
"""

from __future__ import annotations

import fcntl
import os
import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.compat import DBT_PYTHON_VERSION
from packaging.version import Version

from orchestration.settings import PROJECT_DIR

# dbt is installed beside the interpreter that runs this code. Cron, systemd and other
# service managers start the `recall` script by its full path with a bare PATH that does not
# hold that folder, and dagster-dbt runs "dbt" from PATH (also when it parses the project),
# so the folder goes first on this process's PATH, and the dbt resource names the file.
SCRIPTS_DIR = Path(sys.executable).parent
DBT_EXECUTABLE = str(SCRIPTS_DIR / "dbt")
if str(SCRIPTS_DIR) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join(filter(None, [str(SCRIPTS_DIR), os.environ.get("PATH")]))


class RecallDbtCli(DbtCliResource):
    """The dbt resource of every run. dagster-dbt asks the dbt executable for its version
    (``dbt --version``, a 3-second subprocess) in every run; here it is the dbt-core installed
    beside this code, the one DBT_EXECUTABLE runs."""

    @cached_property
    def _cli_version(self) -> Version:
        return DBT_PYTHON_VERSION


recall_dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
recall_dbt_project.prepare_if_dev()

_MANIFEST_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "snapshots")


def _latest_input_change(project_dir: Path) -> float:
    latest = 0.0
    for name in _MANIFEST_INPUTS:
        path = project_dir / name
        candidates = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        for candidate in candidates:
            latest = max(latest, candidate.stat().st_mtime)
    return latest


def prepare_manifest(force: bool = False) -> Path:
    """Parse the dbt project (``dbt parse``) when the manifest is missing or older than its
    inputs, and return the manifest path. One process parses at a time (``recall ui`` and a
    ``recall run`` started together both prepare): the others wait for its manifest."""
    manifest = recall_dbt_project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / "prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stale = not manifest.exists() or manifest.stat().st_mtime < _latest_input_change(
            recall_dbt_project.project_dir
        )
        if force or stale:
            recall_dbt_project.preparer.prepare(recall_dbt_project)
    return manifest
