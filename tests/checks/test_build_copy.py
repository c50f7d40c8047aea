"""Write-audit-publish on files: the build copy, its owner, its promotion, the run lock and
the clean-up after a killed run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.build_copy import (
    BuildCopyError,
    RunLockedError,
    check_build,
    promote_build,
    remove_publish_leftovers,
    run_lock,
    start_build,
)
from orchestration.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", landing_dir=tmp_path / "landing")


def _write(path: Path, value: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create or replace table t as select ? as v", [value])


def _value(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select v from t").fetchone()[0]


def test_a_run_builds_on_a_copy_and_the_working_file_changes_only_on_promotion(
    settings: Settings,
) -> None:
    _write(settings.warehouse_path, 1)

    build = start_build(settings, "run-a")
    _write(build, 2)
    assert (_value(settings.warehouse_path), _value(build)) == (1, 2)

    promote_build(settings)
    assert _value(settings.warehouse_path) == 2
    assert not settings.build_path.parent.exists()
    assert not Path(f"{settings.warehouse_path}.wal").exists()


def test_a_new_build_discards_what_a_failed_or_killed_run_left(settings: Settings) -> None:
    _write(settings.warehouse_path, 1)
    stale = start_build(settings, "killed-run")
    _write(stale, 99)
    Path(f"{stale}.wal").write_bytes(b"torn")
    leftover = settings.published_path.with_name(".recall.duckdb.0123abcd.tmp")
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a publication")
    Path(f"{leftover}.wal").write_bytes(b"log")

    build = start_build(settings, "next-run")

    assert _value(build) == 1
    assert not Path(f"{build}.wal").exists()
    assert list(settings.published_path.parent.iterdir()) == []


def test_a_build_copy_belongs_to_the_run_that_started_it(settings: Settings) -> None:
    start_build(settings, "run-a")

    assert check_build(settings, "run-a") == settings.build_path
    with pytest.raises(BuildCopyError, match=r"was not started by this run \(started by run-a"):
        check_build(settings, "run-b")


def test_without_a_build_copy_a_partial_run_is_refused(settings: Settings) -> None:
    with pytest.raises(BuildCopyError, match=r"started by no run.*Materialize the whole job"):
        check_build(settings, "run-a")


def test_leftover_removal_keeps_the_published_file(settings: Settings) -> None:
    _write(settings.published_path, 5)
    tmp = settings.published_path.with_name(".recall.duckdb.feed.tmp")
    tmp.write_bytes(b"x")

    assert remove_publish_leftovers(settings.published_path) == [tmp]
    assert _value(settings.published_path) == 5


def test_a_second_run_on_the_same_home_is_refused_while_the_first_holds_the_lock(
    settings: Settings,
) -> None:
    with (
        run_lock(settings),
        pytest.raises(RunLockedError, match="Another recall run"),
        run_lock(settings),
    ):
        pass
    with run_lock(settings):  # released with the first run
        pass


def test_a_killed_run_leaves_no_stale_lock(settings: Settings) -> None:
    holder = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from orchestration.lib.build_copy import run_lock
        from orchestration.settings import Settings
        with run_lock(Settings(home=Path({str(settings.home)!r}), landing_dir=Path("."))):
            print("locked", flush=True)
            time.sleep(60)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    with pytest.raises(RunLockedError), run_lock(settings):
        pass

    process.kill()
    process.wait()

    with run_lock(settings):
        pass
