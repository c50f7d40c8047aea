"""Corrections (SPEC §3): a delivered file is replaced on purpose, never edited in place.

``recall replace LOADED_FILE NEW_FILE`` names a loaded file and the file that replaces it.
The run that follows retires every row the old file brought (loaded, parked, quarantined,
released from quarantine) into ``ingest.retired_rows``, marks its manifest row
``replaced``, and loads the new file through the same rules as any new file, so its rows
no longer collide with the old ones as conflicting duplicates. Nothing is deleted: the
retired rows keep their file, row number and whole record.

Rows of *other* files that were counted as exact duplicates of the old file's rows were
never stored, so they do not come back: a replacement must carry every row of the file it
replaces (docs/DECISIONLOG.md).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.contract import SOURCES
from orchestration.ingest.files import FORMATS
from orchestration.ingest.summary import LOADED, REPLACED
from orchestration.lib.sql import sql_literal, sql_timestamp


class ReplacementError(ValueError):
    """``recall replace`` was given files it cannot act on; the message says what to do."""


@dataclass(frozen=True)
class Replacement:
    """A correction to apply in a run, as landing-relative paths such as
    ``transactions/2026-01.csv``; the two are the same when the corrected file was put
    over the loaded one."""

    loaded_file: str
    new_file: str
    copied_to: Path | None = None  # where prepare_replacement copied an outside file

    @property
    def source(self) -> str:
        return self.loaded_file.split("/", 1)[0]

    def is_applied(self, warehouse: Path) -> bool:
        """Whether the working file records the new file as loaded (a run that published,
        even one that exits 1 under --strict)."""
        with duckdb.connect(str(warehouse), read_only=True) as con:
            (count,) = con.execute(
                "select count(*) from ingest.load_manifest where relative_path = ? and status = ?",
                [self.new_file, LOADED],
            ).fetchone()
        return count > 0


def prepare_replacement(
    warehouse: Path, landing_dir: Path, loaded_file: str | Path, new_file: Path
) -> Replacement:
    """Check a correction before anything runs, and put the new file in the loaded file's
    source folder of the landing directory when it is not there yet (the landing directory
    is the record of what was delivered).

    ``loaded_file`` is a landing-relative path (``transactions/2026-01.csv``) or a path to
    the file; ``warehouse`` is the working file, whose manifest says what was loaded.
    """
    landing_dir = landing_dir.resolve()
    loaded = _landing_relative(landing_dir, loaded_file)
    if not warehouse.exists():
        raise ReplacementError(
            f"Nothing has been loaded yet ({warehouse} does not exist), so there is no file "
            f"to replace: put {new_file} in the landing directory and run recall run."
        )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded_paths = {
            path: sha
            for path, sha in con.execute(
                "select relative_path, sha256 from ingest.load_manifest where status = ?",
                [LOADED],
            ).fetchall()
        }
    if loaded not in loaded_paths:
        same_source = sorted(p for p in loaded_paths if p.startswith(loaded.split("/")[0] + "/"))
        hint = f" Loaded {loaded.split('/')[0]} files: {', '.join(same_source[:5])}" + (
            ", ..." if len(same_source) > 5 else ""
        )
        raise ReplacementError(
            f"{loaded} is not a loaded landing file, so it cannot be replaced "
            "(ingest.load_manifest lists the loaded files)." + (hint if same_source else "")
        )
    new_path = new_file.expanduser().resolve()
    if not new_path.is_file():
        raise ReplacementError(f"The replacement file {new_file} does not exist.")
    if new_path.suffix.lower() not in FORMATS:
        raise ReplacementError(f"The replacement file {new_file} is not a .csv or .parquet file.")
    if hashlib.sha256(new_path.read_bytes()).hexdigest() == loaded_paths[loaded]:
        raise ReplacementError(
            f"{new_file} is identical to the loaded {loaded}: there is nothing to correct."
        )
    source = loaded.split("/", 1)[0]
    if landing_dir in new_path.parents:
        new = new_path.relative_to(landing_dir).as_posix()
        if new.split("/", 1)[0] != source or new.count("/") != 1:
            raise ReplacementError(
                f"The replacement {new} must sit directly in {source}/ of the landing "
                f"directory, like the {source} file it replaces."
            )
    else:
        new = f"{source}/{new_path.name}"
        target = landing_dir / new
        if target.exists() and target.read_bytes() != new_path.read_bytes():
            raise ReplacementError(
                f"{target} already exists with other content: give the replacement another "
                "file name."
            )
        if not target.exists():
            shutil.copyfile(new_path, target)
            return Replacement(loaded_file=loaded, new_file=new, copied_to=target)
    return Replacement(loaded_file=loaded, new_file=new)


def _landing_relative(landing_dir: Path, loaded_file: str | Path) -> str:
    path = Path(loaded_file).expanduser()
    candidate = path if path.is_absolute() else Path.cwd() / path
    if landing_dir in candidate.resolve().parents:
        return candidate.resolve().relative_to(landing_dir).as_posix()
    text = Path(loaded_file).as_posix()
    if text.split("/", 1)[0] in {s.name for s in SOURCES}:
        return text
    raise ReplacementError(
        f"{loaded_file} is not a file of the landing directory {landing_dir}: name the loaded "
        "file by its landing path, for example transactions/2026-01.csv."
    )


# Where a delivered row can be, and the column that holds its file.
_PLACES = [
    *((f"raw.{s.name}", "loaded", s.name, "_file_id", "_row_number") for s in SOURCES),
    *(
        (f"ingest.parked_{s.name}", "parked", s.name, "_file_id", "_row_number")
        for s in SOURCES
        if s.has_contact_fk
    ),
    ("ingest.quarantine", "quarantined", None, "file_id", "row_number"),
    ("ingest.quarantine_released", "released", None, "file_id", "row_number"),
]


def retire_file(
    con: duckdb.DuckDBPyConnection,
    old_file_id: int,
    new_file_id: int,
    new_file: str,
    run_at: datetime,
) -> int:
    """Move every row of a replaced file into ``ingest.retired_rows`` (each as JSON text of
    the row as it was kept) and mark its manifest row; returns the rows retired. Runs in the
    caller's transaction."""
    (source,) = con.execute(
        "select source from ingest.load_manifest where file_id = ?", [old_file_id]
    ).fetchone()
    retired = 0
    for table, place, table_source, file_column, row_column in _PLACES:
        if table_source not in (None, source):
            continue
        retired += con.execute(
            f"""
            insert into ingest.retired_rows
            select
                {sql_literal(source)}, t.{file_column}, t.{row_column}, {sql_literal(place)},
                cast(to_json(t) as varchar), {sql_timestamp(run_at)}, {new_file_id}
            from {table} as t
            where t.{file_column} = {old_file_id}
            """
        ).fetchone()[0]
        con.execute(f"delete from {table} where {file_column} = {old_file_id}")
    con.execute(
        "update ingest.load_manifest set status = ?, message = ? where file_id = ?",
        [
            REPLACED,
            f"replaced by {new_file} (file_id {new_file_id}) on {run_at:%Y-%m-%d %H:%M} UTC "
            f"with recall replace; its {retired:,} rows are kept in ingest.retired_rows",
            old_file_id,
        ],
    )
    return retired
