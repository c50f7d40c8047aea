"""The load manifest: which landing files this run loads, skips or rejects.

A file is identified by its SHA-256: identical bytes load once, whatever the name. A
loaded file's name is never reused for other content: merging a corrected file into rows
already loaded would change history silently, so the file is rejected and reported
until it is removed, or until ``recall replace`` replaces the loaded file on purpose
(``replace.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import duckdb

from orchestration.ingest.files import FileLayout, LandingFile
from orchestration.ingest.replace import Replacement, ReplacementError
from orchestration.ingest.summary import CHANGED_REJECTED, LOADED, REDELIVERED, REPLACED

UNCHANGED = "unchanged"  # the already loaded file itself, still in the landing dir
RETIRED = "retired"  # a replaced file, still in the landing dir: skipped, not recorded again


@dataclass
class FilePlan:
    """What this run does with one discovered file: its status, its manifest id, its
    column layout (files to load), its row counts once loaded, and the loaded file it
    replaces (``recall replace``)."""

    file: LandingFile
    status: str
    file_id: int | None = None
    message: str | None = None
    layout: FileLayout | None = None
    counts: dict[str, int] = field(default_factory=dict)
    replaces: int | None = None


class _Loaded(NamedTuple):
    """A file loaded by an earlier run (or earlier in this one: ``loaded_at`` None)."""

    file_id: int
    relative_path: str
    loaded_at: datetime | None
    sha256: str = ""


def plan_files(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[LandingFile],
    replacement: Replacement | None = None,
) -> list[FilePlan]:
    """Decide per file: load it, leave it (already loaded, or replaced), skip it as a
    re-delivery of a loaded file, or reject it as a changed file under a loaded name. New
    files get the next file ids; skipped and rejected files get one (a manifest row) only
    the first time they are seen.

    With a ``replacement``, its new file loads even under the loaded file's own name, and
    its plan names the file it replaces; raises :class:`ReplacementError` when the
    replacement no longer fits the landing directory or the manifest.
    """
    by_checksum: dict[tuple[str, str], _Loaded] = {}
    by_path: dict[str, _Loaded] = {}
    for file_id, source, path, sha256, loaded_at in con.execute(
        "select file_id, source, relative_path, sha256, loaded_at from ingest.load_manifest "
        "where status = ? order by file_id",
        [LOADED],
    ).fetchall():
        loaded = _Loaded(file_id, path, loaded_at, sha256)
        by_checksum[(source, sha256)] = by_path[path] = loaded
    # Content that was replaced stays retired under any name (a re-delivered copy too).
    retired = set(
        con.execute(
            "select source, sha256 from ingest.load_manifest where status = ?", [REPLACED]
        ).fetchall()
    )
    replaced = _replaced(by_path, replacement)
    if replaced is not None:
        assert replacement is not None
        retired.add((replacement.source, replaced.sha256))
        del by_checksum[(replacement.source, replaced.sha256)]
        del by_path[replaced.relative_path]
    recorded = set(
        con.execute("select relative_path, sha256, status from ingest.load_manifest").fetchall()
    )
    (last_id,) = con.execute(
        "select coalesce(max(file_id), 0) from ingest.load_manifest"
    ).fetchall()[0]
    next_id = itertools.count(last_id + 1)

    plans: list[FilePlan] = []
    for file in files:
        same_content = by_checksum.get((file.source, file.sha256))
        same_name = by_path.get(file.relative_path)
        if replacement is not None and file.relative_path == replacement.new_file:
            assert replaced is not None
            plans.append(_replacing(file, replaced, same_content, next(next_id)))
        elif same_content is not None and same_content.relative_path == file.relative_path:
            plans.append(FilePlan(file, UNCHANGED, file_id=same_content.file_id))
        elif (file.source, file.sha256) in retired:
            plans.append(FilePlan(file, RETIRED))
        elif same_content is not None:
            message = (
                f"identical to {same_content.relative_path} (file_id {same_content.file_id}, "
                f"loaded {_when(same_content.loaded_at)}); nothing loaded. You can delete "
                "this copy."
            )
            plans.append(_record_once(file, REDELIVERED, message, recorded, next_id))
        elif same_name is not None:
            message = (
                f"differs from the file of the same name loaded {_when(same_name.loaded_at)} "
                f"(file_id {same_name.file_id}); it was not merged. To load it in place of the "
                f"loaded file, run: recall replace {file.relative_path} "
                f"{file.relative_path} (or remove it from the landing directory)."
            )
            plans.append(_record_once(file, CHANGED_REJECTED, message, recorded, next_id))
        else:
            file_id = next(next_id)
            plans.append(FilePlan(file, LOADED, file_id=file_id))
            # A second identical file in the same delivery is a re-delivery of this one.
            loaded = _Loaded(file_id, file.relative_path, None)
            by_checksum[(file.source, file.sha256)] = by_path[file.relative_path] = loaded
    if replacement is not None and not any(p.replaces is not None for p in plans):
        raise ReplacementError(
            f"The replacement {replacement.new_file} is not in the landing directory any more: "
            f"put it back and run recall replace {replacement.loaded_file} "
            f"{replacement.new_file} again."
        )
    return plans


def _replaced(by_path: dict[str, _Loaded], replacement: Replacement | None) -> _Loaded | None:
    if replacement is None:
        return None
    replaced = by_path.get(replacement.loaded_file)
    if replaced is None:
        raise ReplacementError(
            f"{replacement.loaded_file} is not a loaded landing file, so it cannot be "
            "replaced (ingest.load_manifest lists the loaded files)."
        )
    return replaced


def _replacing(
    file: LandingFile, replaced: _Loaded, same_content: _Loaded | None, file_id: int
) -> FilePlan:
    if file.sha256 == replaced.sha256:
        raise ReplacementError(
            f"The replacement {file.relative_path} is identical to {replaced.relative_path}, the "
            "file it would replace: there is nothing to correct."
        )
    if same_content is not None:
        raise ReplacementError(
            f"The replacement {file.relative_path} is identical to {same_content.relative_path} "
            f"(file_id {same_content.file_id}), which is loaded already: there is nothing to "
            "correct."
        )
    message = f"replaces {replaced.relative_path} (file_id {replaced.file_id})"
    return FilePlan(file, LOADED, file_id=file_id, message=message, replaces=replaced.file_id)


def _record_once(
    file: LandingFile,
    status: str,
    message: str,
    recorded: set[tuple[str, str, str]],
    next_id: itertools.count[int],
) -> FilePlan:
    """Manifest rows for skipped files are written the first time only."""
    new = (file.relative_path, file.sha256, status) not in recorded
    recorded.add((file.relative_path, file.sha256, status))
    return FilePlan(file, status, file_id=next(next_id) if new else None, message=message)


def _when(moment: datetime | None) -> str:
    return "earlier in this run" if moment is None else f"on {moment:%Y-%m-%d %H:%M} UTC"


def record_plans(
    con: duckdb.DuckDBPyConnection, plans: Sequence[FilePlan], run_at: datetime
) -> None:
    rows = []
    for plan in plans:
        if plan.file_id is None or plan.status in (UNCHANGED, RETIRED):
            continue
        message = plan.message
        if plan.layout is not None and plan.layout.extra_columns:
            message = "ignored extra columns: " + ", ".join(plan.layout.extra_columns)
            plan.message = message
        f = plan.file
        # Row counts are filled in once the file's batch is classified.
        rows.append(
            [
                *(plan.file_id, f.source, f.name, f.relative_path, f.sha256, f.size_bytes),
                *(plan.status, run_at, 0, 0, 0, 0, 0, message),
            ]
        )
    if rows:
        con.executemany(
            "insert into ingest.load_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
