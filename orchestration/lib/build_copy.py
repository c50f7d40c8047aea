"""Write-audit-publish on files: a run writes a copy of the working warehouse, the checks
audit the copy, and only a copy that passed replaces the working file and feeds the BI file.

Nothing a failed or killed run did reaches ``warehouse.duckdb`` or the BI file, so a
delivery that failed a gate fails again, the same way, until it is fixed; and a run
killed at any point leaves only ``build/``, which the next run clears. DuckDB keeps one
writer per file: the copy is written by ingest, then by dbt, then read by the checks and
the publication, one after the other, and closed (checkpointed, no ``.wal``) before it
replaces the working file with ``os.replace`` (atomic on one filesystem).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from orchestration.settings import Settings

# Beside the build copy: the Dagster run that started it.
RUN_ID_FILE = "run_id"


class BuildCopyError(RuntimeError):
    """The build copy is missing or belongs to another run."""


class RunLockedError(RuntimeError):
    """Another run holds the home directory."""


# The homes whose run.lock this process holds (run_lock), so the run's own resource
# (hold_home) knows the lock is taken already by the command that started the run.
_HELD_HOMES: set[Path] = set()


@contextmanager
def run_lock(settings: Settings) -> Iterator[None]:
    """Hold ``$RECALL_HOME/run.lock`` for a run. The operating system drops the lock when the
    process ends, however it ends, so a killed run never leaves a stale lock behind."""
    settings.home.mkdir(parents=True, exist_ok=True)
    with (settings.home / "run.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise RunLockedError(
                f"Another recall run is using {settings.home} (it holds run.lock). Wait for it "
                "to finish; two runs on one home would overwrite each other's build."
            ) from error
        _HELD_HOMES.add(settings.home)
        try:
            yield
        finally:
            _HELD_HOMES.discard(settings.home)
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def hold_home(settings: Settings) -> Iterator[None]:
    """The run lock for the whole of a Dagster run, however it was started: taken here for
    a run the UI, the schedule or a backfill launched, and already held by ``recall run``."""
    if settings.home in _HELD_HOMES:
        yield
        return
    with run_lock(settings):
        yield


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def start_build(settings: Settings, run_id: str) -> Path:
    """Discard whatever an earlier run left in ``build/`` (a failed build kept for
    inspection, or the litter of a killed one) and any half-written publication, then copy
    the working file there for this run."""
    build_dir = settings.build_path.parent
    if build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True)
    remove_publish_leftovers(settings.published_path)
    if settings.warehouse_path.exists():
        shutil.copyfile(settings.warehouse_path, settings.build_path)
        # Only a warehouse written in place by an older version can have a log; DuckDB
        # replays it on open, so it travels with the copy.
        if _wal(settings.warehouse_path).exists():
            shutil.copyfile(_wal(settings.warehouse_path), _wal(settings.build_path))
    (build_dir / RUN_ID_FILE).write_text(run_id, encoding="utf-8")
    return settings.build_path


def check_build(settings: Settings, run_id: str) -> Path:
    """The build copy of this run, or a clear error when this run did not start it (a run
    of part of the graph would otherwise build on, or publish, another run's copy)."""
    marker = settings.build_path.parent / RUN_ID_FILE
    owner = marker.read_text(encoding="utf-8").strip() if marker.exists() else None
    if owner != run_id:
        raise BuildCopyError(
            f"{settings.build_path} was not started by this run (started by "
            f"{owner or 'no run'}). Materialize the whole job, ingest first: recall run, or "
            "'Materialize all' in the Dagster UI."
        )
    return settings.build_path


def promote_build(settings: Settings) -> None:
    """Make the audited build copy the working file. It is checkpointed first, so no log is
    left beside it, and it moves with one atomic rename."""
    with duckdb.connect(str(settings.build_path)) as con:
        con.execute("checkpoint")
    if _wal(settings.build_path).exists():
        raise BuildCopyError(f"{_wal(settings.build_path)} is still there after a checkpoint")
    os.replace(settings.build_path, settings.warehouse_path)
    _wal(settings.warehouse_path).unlink(missing_ok=True)
    shutil.rmtree(settings.build_path.parent, ignore_errors=True)


def remove_publish_leftovers(published_path: Path) -> list[Path]:
    """Delete the staging files of a publication that was killed before its swap
    (``.recall.duckdb.<id>.tmp`` and its ``.wal``); returns what was removed."""
    if not published_path.parent.exists():
        return []
    leftovers = sorted(published_path.parent.glob(f".{published_path.name}.*.tmp*"))
    for path in leftovers:
        path.unlink(missing_ok=True)
    return leftovers
