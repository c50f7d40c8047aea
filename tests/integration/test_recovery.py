"""Runs killed with SIGKILL at each stage, and BI readers during publications: the BI file is
never damaged, the next run needs no manual step, and it publishes what an uninterrupted run
does."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest
from integration_helpers import (
    RECALL,
    copy_home,
    differences,
    identical,
    recall_environment,
    recall_run,
    sha256,
)

from orchestration.publish.bi_file import publish_marts

pytestmark = pytest.mark.integration

# A line of the run log that shows the run is inside a stage, and a file whose appearance
# shows it more precisely (None: the log line is enough).
INGEST = ("rows parsed and checked", None)
DBT = ("START sql table model marts.", None)
PUBLISH = ("Publishing the checked marts", ".recall.duckdb.")


def _run(home: Path, landing: Path) -> None:
    result = recall_run(home, landing)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _run_and_kill(home: Path, landing: Path, point: tuple[str, str | None]) -> None:
    """Start a run and SIGKILL it (with its dbt subprocess) once it reaches ``point``."""
    marker, staging_file = point
    process = subprocess.Popen(
        # --verbose streams the run log, whose lines mark the stages.
        [str(RECALL), "run", "--landing", str(landing), "--verbose"],
        env=recall_environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        for line in process.stdout:
            if marker in line:
                break
        else:
            pytest.fail(f"the run ended before it reached {marker!r}")
        deadline = time.monotonic() + 30
        published = home / "published"
        while staging_file and time.monotonic() < deadline:
            if any(staging_file in p.name for p in published.iterdir()):
                break
            time.sleep(0.005)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _readable(published: Path) -> int:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute("select count(*) from fct_transactions").fetchone()[0]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, published_home: Path, landings) -> Path:
    """The BI file of a home that published the first delivery, then the full one."""
    home = copy_home(published_home, tmp_path_factory.mktemp("uninterrupted") / "home")
    _run(home, landings[1])
    return home / "published" / "recall.duckdb"


def test_a_run_killed_in_ingest_dbt_or_publish_recovers_by_itself(
    tmp_path: Path, published_home: Path, landings, uninterrupted: Path
) -> None:
    full = landings[1]
    home = copy_home(published_home, tmp_path / "home")
    published = home / "published" / "recall.duckdb"
    complete = {_readable(published), _readable(uninterrupted)}

    for point in (INGEST, DBT, PUBLISH):
        before = sha256(published)
        _run_and_kill(home, full, point)

        # Readable, and whole: the old tables or the new ones.
        assert _readable(published) in complete
        if point is not PUBLISH:
            assert sha256(published) == before, f"killed at {point[0]!r}"
        # No manual step: the next run clears the build, the lock and any staging file.
        _run(home, full)
        assert identical(published, uninterrupted), (point, differences(published, uninterrupted))
        assert sorted(p.name for p in published.parent.iterdir()) == ["recall.duckdb"]
        assert not (home / "build").exists()
        assert not (home / "warehouse.duckdb.wal").exists()


def test_readers_never_fail_while_runs_publish(
    tmp_path: Path, published_home: Path, uninterrupted: Path
) -> None:
    """Four read-only connections query in a loop through five publications that alternate
    between two different builds: each query sees one whole build, never an error or a mix."""
    builds = [
        published_home / "warehouse.duckdb",
        uninterrupted.parent.parent / "warehouse.duckdb",
    ]
    expected = {}
    for build in builds:
        with duckdb.connect(str(build), read_only=True) as con:
            expected[build] = con.execute(
                "select (select count(*) from marts.fct_transactions), "
                "(select count(*) from marts.customer_lifecycle_monthly)"
            ).fetchone()
    published = tmp_path / "published" / "recall.duckdb"
    publish_marts(builds[0], published)
    errors: list[BaseException] = []
    seen: set[tuple[int, int]] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                with duckdb.connect(str(published), read_only=True) as con:
                    seen.add(
                        con.execute(
                            "select (select count(*) from fct_transactions), "
                            "(select count(*) from customer_lifecycle_monthly)"
                        ).fetchone()
                    )
            except BaseException as error:
                errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for number in range(5):
            publish_marts(builds[(number + 1) % 2], published)
            time.sleep(0.2)
    finally:
        stop.set()
        for reader in readers:
            reader.join()

    assert errors == []
    assert seen == set(expected.values())
    assert expected[builds[0]] != expected[builds[1]]
    assert sorted(p.name for p in published.parent.iterdir()) == ["recall.duckdb"]
