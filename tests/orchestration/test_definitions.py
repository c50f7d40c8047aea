"""The Dagster definitions: a snapshot of the graph (asset keys and their dependencies, asset
checks, jobs, resources), so any change to what runs shows in review.

After an intended change, rewrite the snapshot and review its diff:

    RECALL_UPDATE_SNAPSHOTS=1 uv run pytest tests/orchestration/test_definitions.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.contract import SOURCES
from orchestration.settings import PROJECT_DIR

SNAPSHOT = Path(__file__).parent / "__snapshots__" / "definitions.json"


def describe_definitions() -> dict:
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    assets = {
        key.to_user_string(): {
            "group": graph.get(key).group_name,
            "deps": sorted(parent.to_user_string() for parent in graph.get(key).parent_keys),
        }
        for key in sorted(graph.get_all_asset_keys())
    }
    checks = sorted(
        f"{check.asset_key.to_user_string()}:{check.name}" for check in graph.asset_check_keys
    )
    jobs = {
        job.name: sorted(key.to_user_string() for key in job.asset_layer.selected_asset_keys)
        for job in defs.resolve_all_job_defs()
        if not job.name.startswith("__")
    }
    return {
        "assets": assets,
        "asset_checks": checks,
        "jobs": jobs,
        "schedules": sorted(s.name for s in defs.schedules or []),
        "resources": sorted(defs.resources or {}),
    }


def test_the_definitions_match_the_snapshot(dbt_manifest: Path) -> None:
    current = describe_definitions()
    if os.environ.get("RECALL_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == expected, (
        "The Dagster graph changed. If intended, rewrite the snapshot with "
        "RECALL_UPDATE_SNAPSHOTS=1 and review its diff."
    )


def test_every_dbt_source_is_an_ingest_asset_and_publish_waits_for_every_mart(
    dbt_manifest: Path,
) -> None:
    assets = describe_definitions()["assets"]
    raw = {key for key, asset in assets.items() if asset["group"] == "ingest"}
    read_by_staging = {
        dep for key, asset in assets.items() if key.startswith("staging/") for dep in asset["deps"]
    }
    assert raw == {f"raw/{source.name}" for source in SOURCES}
    assert raw <= read_by_staging
    marts = sorted(key for key in assets if key.startswith("marts/"))
    assert assets["published/recall_duckdb"]["deps"] == marts


def test_dg_check_defs_loads_the_definitions(dbt_manifest: Path, tmp_path: Path) -> None:
    """`dg check defs` loads the code location the way the Dagster tools do ([tool.dg] in
    pyproject.toml), so the webserver and daemon of `recall ui` load it too."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    dg = Path(sys.executable).parent / "dg"
    result = subprocess.run(
        [str(dg), "check", "defs"],
        cwd=PROJECT_DIR,
        env={**os.environ, "DAGSTER_HOME": str(home), "RECALL_HOME": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully." in result.stdout


def _lock_holder(home: Path) -> subprocess.Popen:
    """Another process holding the home's run.lock, as a second recall run would."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            "handle = open(sys.argv[1], 'a')\n"
            "fcntl.flock(handle, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(120)\n",
            str(home / "run.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline() == "held\n"
    return holder


def _lock_is_free(home: Path) -> bool:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import fcntl, sys\n"
            "fcntl.flock(open(sys.argv[1], 'a'), fcntl.LOCK_EX | fcntl.LOCK_NB)\n",
            str(home / "run.lock"),
        ],
        capture_output=True,
    )
    return probe.returncode == 0


def test_a_run_launched_outside_recall_run_holds_the_run_lock(
    dbt_manifest: Path, tmp_path: Path
) -> None:
    """Runs from the UI, the schedule or a backfill take the home's run lock for the whole
    run (one process, the recall resource), as `recall run` does, so they never share a
    build copy with another run."""
    from dagster import DagsterEventType, DagsterInstance, build_resources

    from orchestration.definitions import build_definitions, recall_resource
    from orchestration.settings import Settings

    home = tmp_path / "home"
    home.mkdir()
    settings = Settings(home=home, landing_dir=home / "landing")
    defs = build_definitions(settings)
    for job in defs.resolve_all_job_defs():
        assert job.executor_def.name == "in_process", job.name

    with build_resources({"recall": recall_resource(settings)}) as resources:
        assert resources.recall == settings
        assert not _lock_is_free(home)
    assert _lock_is_free(home)

    holder = _lock_holder(home)
    try:
        with DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("recall_warehouse").execute_in_process(
                instance=instance, raise_on_error=False
            )
        assert not result.success
        (failure,) = [
            event.event_specific_data.error.to_string()
            for event in result.all_events
            if event.event_type == DagsterEventType.RESOURCE_INIT_FAILURE
        ]
        assert f"RunLockedError: Another recall run is using {home}" in failure
    finally:
        holder.kill()
        holder.wait()
