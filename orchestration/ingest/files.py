"""Landing files: discovery, checksums, readability checks and the SQL that reads them.

A landing file is read with an explicit schema: every contract column of its source is
read as text (VARCHAR) and matched to the file's header (CSV) or schema (Parquet) by
name, so nothing is ever guessed from the data. A file that cannot be read at all fails
the run with :class:`LandingFileError` before anything is loaded.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import duckdb

from orchestration.contract import Source
from orchestration.lib.sql import sql_identifier, sql_literal

FileFormat = Literal["csv", "parquet"]
FORMATS: dict[str, FileFormat] = {".csv": "csv", ".parquet": "parquet"}

# Column that carries each row's source file when several files are read in one scan.
FILE_COLUMN = "__landing_file"

_CHUNK = 1 << 20

# What to do with a file that is damaged or not what its name says.
DELIVER_AGAIN = "Deliver the file again or remove it from the landing directory"


class LandingFileError(Exception):
    """A landing file that cannot be read at all (wrong columns, wrong encoding, empty,
    malformed). The message names the file and the problem and says what to do."""


@dataclass(frozen=True)
class LandingFile:
    """One file found in a source folder of the landing directory."""

    source: str
    path: Path
    relative_path: str  # e.g. "transactions/2026-01.csv", relative to the landing dir
    format: FileFormat
    size_bytes: int
    sha256: str
    utf8_problem: str | None = None  # set for a CSV file that is not valid UTF-8

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class FileLayout:
    """Where the contract columns sit in a readable file.

    ``columns`` are the file's own column names in file order; ``positions`` gives, for
    each contract column in contract order, its index in ``columns``.
    """

    columns: tuple[str, ...]
    positions: tuple[int, ...]
    extra_columns: tuple[str, ...]


def landing_paths(landing_dir: Path, sources: Sequence[Source]) -> list[tuple[Source, Path]]:
    """Every ``*.csv`` and ``*.parquet`` file directly under ``<landing_dir>/<source>/``,
    sources in load order and files sorted by name.

    Anything else in the landing directory (other folders, ``truth.json``, hidden or
    editor lock files) is ignored.
    """
    found: list[tuple[Source, Path]] = []
    for source in sources:
        folder = landing_dir / source.name
        if not folder.is_dir():
            continue
        paths = [
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in FORMATS and not p.name.startswith((".", "~"))
        ]
        found.extend((source, p) for p in sorted(paths, key=lambda p: p.name))
    return found


def discover_files(landing_dir: Path, sources: Sequence[Source]) -> list[LandingFile]:
    """The landing files of :func:`landing_paths`, with size and SHA-256."""
    found = landing_paths(landing_dir, sources)
    # Hashing releases the GIL, so a couple of threads keep the disk busy.
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        return list(pool.map(lambda item: _fingerprint(landing_dir, *item), found))


def _fingerprint(landing_dir: Path, source: Source, path: Path) -> LandingFile:
    """Checksum the file and, for CSV, check that it is UTF-8, in one read."""
    file_format = FORMATS[path.suffix.lower()]
    digest = hashlib.sha256()
    utf8 = _Utf8Check() if file_format == "csv" else None
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if utf8 is not None:
                utf8.feed(chunk, offset=size)
            size += len(chunk)
    return LandingFile(
        source=source.name,
        path=path,
        relative_path=path.relative_to(landing_dir).as_posix(),
        format=file_format,
        size_bytes=size,
        sha256=digest.hexdigest(),
        utf8_problem=utf8.finish(path) if utf8 is not None else None,
    )


class _Utf8Check:
    """Finds the first byte of a file that is not valid UTF-8, chunk by chunk."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._bad: tuple[int, bytes] | None = None  # (file offset, byte)

    def feed(self, chunk: bytes, offset: int) -> None:
        if self._bad is not None:
            return
        # ASCII needs no decoding: the common case, checked in C at memory speed.
        if chunk.isascii() and not self._decoder.getstate()[0]:
            return
        try:
            self._decoder.decode(chunk)
        except UnicodeDecodeError as error:
            # The offset may be off by the few bytes of a character split across chunks.
            self._bad = (offset + error.start, error.object[error.start : error.start + 1])

    def finish(self, path: Path) -> str | None:
        """Where the first invalid byte is, so the operator can find it; None if valid."""
        if self._bad is None:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return "the file ends in the middle of a UTF-8 character"
            return None
        offset, byte = self._bad
        with path.open("rb") as handle:  # only on failure: count the lines before it
            line = handle.read(offset).count(b"\n") + 1
        return f"byte 0x{byte.hex().upper()} on line {line} is not valid UTF-8"


def inspect_file(file: LandingFile, source: Source) -> FileLayout:
    """Check that a file can be read and find its contract columns.

    Raises :class:`LandingFileError` naming the file and the problem: empty file, no
    header, no data rows, not UTF-8, unreadable Parquet, missing contract columns.
    """
    if file.size_bytes == 0:
        raise _error(
            file,
            "is empty (0 bytes)",
            "Deliver the complete export, or remove it from the landing directory",
        )
    columns = _csv_columns(file) if file.format == "csv" else _parquet_columns(file)
    return _match_columns(file, source, columns)


def _csv_columns(file: LandingFile) -> tuple[str, ...]:
    head = _head(file)
    if file.utf8_problem or b"\x00" in head:
        # Not text (or not UTF-8): say what it is when the first bytes tell, so a gzip
        # file or a workbook is not reported as a Latin-1 export.
        kind = _content_kind(head)
        if kind in _NOT_CSV:
            raise _error(file, *_NOT_CSV[kind])
    if file.utf8_problem:
        raise _error(
            file,
            f"is not UTF-8 encoded ({file.utf8_problem}); it looks like another encoding "
            "such as Latin-1 or Windows-1252",
            "Re-export it as UTF-8 (in Excel: 'CSV UTF-8') and deliver it again",
        )
    with file.path.open("rb") as handle:
        header_line = handle.readline()
        has_data = _has_more_content(handle)
    header_text = header_line.decode("utf-8-sig").strip()
    if not header_text:
        raise _error(
            file,
            "has no header line (the first line is blank)",
            "Deliver the file with a header row naming the columns",
        )
    if not has_data:
        raise _error(
            file,
            "has a header but no data rows",
            "Deliver the complete export, or remove the file if there is nothing to load",
        )
    try:
        header = next(csv.reader([header_text]))
    except csv.Error as error:
        raise _error(
            file, f"has a header line that is not valid CSV ({error})", "Fix the header"
        ) from error
    return tuple(name.strip() for name in header)


def _has_more_content(handle: Iterable[bytes]) -> bool:
    # Blank lines after the header are not rows; anything else is.
    return any(line.strip() for line in handle)


# What a file's first bytes say it is (see _content_kind): how a .csv file that is one
# of them is reported, and how a .parquet file that is one is described.
_NOT_CSV = {
    "gzip": (
        "is gzip-compressed, not plain CSV text",
        "Deliver the uncompressed CSV file, or remove it from the landing directory",
    ),
    "zip": (
        "is a ZIP archive (an Excel workbook is one), not CSV text",
        "Save it as 'CSV UTF-8' and deliver that, or remove it from the landing directory",
    ),
    "parquet": (
        "is a Parquet file, not CSV text",
        "Name it .parquet, or remove it from the landing directory",
    ),
    "utf16": (
        "is not UTF-8 encoded: it starts with a UTF-16 byte order mark",
        "Re-export it as UTF-8 (in Excel: 'CSV UTF-8') and deliver it again",
    ),
    "binary": ("holds binary data (NUL bytes), not CSV text", DELIVER_AGAIN),
}
_SEEMS = {
    "gzip": "gzip-compressed data",
    "zip": "a ZIP archive",
    "utf16": "UTF-16 text",
    "binary": "binary data",
    "text": "text, such as CSV",
}


def _head(file: LandingFile, size: int = 4096) -> bytes:
    with file.path.open("rb") as handle:
        return handle.read(size)


def _content_kind(head: bytes) -> str | None:
    """What the first bytes of a file say it is (a key of ``_NOT_CSV`` or "text"); None
    when they say nothing."""
    signatures = (
        (b"\x1f\x8b", "gzip"),
        (b"PK\x03\x04", "zip"),
        (b"PAR1", "parquet"),
        (b"\xff\xfe", "utf16"),
        (b"\xfe\xff", "utf16"),
    )
    for magic, kind in signatures:
        if head.startswith(magic):
            return kind
    if b"\x00" in head:
        return "binary"
    try:
        # Not final: the head may end in the middle of a character.
        codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return None
    return "text"


@cache
def _footer_reader() -> duckdb.DuckDBPyConnection:
    """One in-memory connection that reads Parquet footers for every file: opening one per
    file costs more than the read (a daily landing has thousands of files)."""
    return duckdb.connect()


def _parquet_columns(file: LandingFile) -> tuple[str, ...]:
    head = _head(file)
    if not head.startswith(b"PAR1"):
        seems = _SEEMS.get(_content_kind(head) or "")
        raise _error(
            file,
            "is not a Parquet file (it does not start with the Parquet marker PAR1"
            f"{f'; it looks like {seems}' if seems else ''})",
            "Deliver it as Parquet (or as CSV with a .csv name), or remove it from the "
            "landing directory",
        )
    if file.size_bytes < 12 or not _tail(file).endswith(b"PAR1"):
        raise _error(
            file,
            f"is truncated: it ends after {file.size_bytes:,} bytes, before the Parquet "
            "footer (an incomplete copy or upload)",
            DELIVER_AGAIN,
        )
    try:
        with _footer_reader().cursor() as con:
            path = sql_literal(str(file.path))
            described = con.sql(f"describe select * from read_parquet({path})").fetchall()
            (rows,) = con.sql(
                f"select coalesce(sum(num_rows), 0) from parquet_file_metadata({path})"
            ).fetchall()[0]
    except duckdb.Error as error:
        raise _error(
            file,
            "is not a readable Parquet file: its footer, which holds the schema, cannot be "
            f"read ({duckdb_detail(error, [file])})",
            "Re-export it and deliver it again (or deliver it as CSV), or remove it from the "
            "landing directory",
        ) from error
    if rows == 0:
        raise _error(
            file,
            "has no data rows",
            "Deliver the complete export, or remove the file if there is nothing to load",
        )
    return tuple(str(row[0]) for row in described)


def _tail(file: LandingFile, size: int = 4) -> bytes:
    with file.path.open("rb") as handle:
        handle.seek(max(0, file.size_bytes - size))
        return handle.read(size)


def _match_columns(file: LandingFile, source: Source, columns: tuple[str, ...]) -> FileLayout:
    """Match contract columns by name (case and surrounding spaces ignored)."""
    normalized = [c.strip().lower() for c in columns]
    missing = [name for name in source.column_names if name not in normalized]
    if missing:
        raise _error(
            file,
            f"is missing the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {', '.join(columns) or 'none'})",
            f"Deliver it with every {source.name} column of the contract "
            f"({', '.join(source.column_names)}); extra columns are ignored",
        )
    repeated = sorted({n for n in source.column_names if normalized.count(n) > 1})
    if repeated:
        raise _error(
            file,
            f"has the column{'s' if len(repeated) > 1 else ''} {', '.join(repeated)} "
            "more than once",
            "Deliver it with each column once",
        )
    positions = tuple(normalized.index(name) for name in source.column_names)
    extra = tuple(
        c for c, n in zip(columns, normalized, strict=True) if n not in source.column_names
    )
    return FileLayout(columns=columns, positions=positions, extra_columns=extra)


@dataclass(frozen=True)
class Scan:
    """A query over landing files, and how to rebuild a row of it as JSON.

    ``sql`` yields ``_file_id``, every contract column as ``r_<name>`` and every extra
    column as ``x_<i>``, all VARCHAR, in file order. ``record`` is SQL over those
    columns giving the whole raw row as JSON text, keyed by the file's own column names,
    so a quarantined row loses nothing.
    """

    sql: str
    record: str


def scan_sql(
    source: Source, files: Sequence[LandingFile], layout: FileLayout, file_ids: Sequence[int]
) -> Scan:
    """Read files that share one format and layout (see :class:`Scan`)."""
    paths = "[" + ", ".join(sql_literal(str(f.path)) for f in files) + "]"
    if files[0].format == "csv":
        # Positional names: header text is never used as SQL, and repeated or odd
        # header names cannot clash.
        types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(layout.columns)))
        relation = (
            f"read_csv({paths}, header = true, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
            f"columns = {{{types}}}, filename = '{FILE_COLUMN}')"
        )
        values = [f"c{i}" for i in range(len(layout.columns))]
    else:
        relation = f"read_parquet({paths}, filename = '{FILE_COLUMN}')"
        # Parquet values are typed; the text of a timestamp depends on the session
        # TimeZone, which the loader pins to UTC.
        values = [f"cast({sql_identifier(c)} as varchar)" for c in layout.columns]
    if len(files) == 1:
        file_id = str(file_ids[0])
    else:
        whens = " ".join(
            f"when {sql_literal(str(f.path))} then {i}"
            for f, i in zip(files, file_ids, strict=True)
        )
        file_id = f"case {FILE_COLUMN} {whens} end"
    contract_at = dict(zip(layout.positions, source.column_names, strict=True))
    names = [f"r_{contract_at[i]}" if i in contract_at else f"x_{i}" for i in range(len(values))]
    selected = ", ".join(f"{v} as {n}" for v, n in zip(values, names, strict=True))
    pairs = ", ".join(
        f"{sql_literal(header)}, {name}" for header, name in zip(layout.columns, names, strict=True)
    )
    return Scan(
        sql=f"select cast({file_id} as bigint) as _file_id, {selected} from {relation}",
        record=f"cast(json_object({pairs}) as varchar)",
    )


def diagnose_read_error(
    source: Source,
    files: Sequence[LandingFile],
    layout: FileLayout,
    error: BaseException,
) -> LandingFileError:
    """After a failed read of a group of files, the error naming the file DuckDB cannot
    read; never None, and never a raw DuckDB error.

    ``error`` is the failure of the group read. Each file is read again on its own (the
    one the message names first), every value of every row: a damaged Parquet page shows
    only when its column is read, not in the footer nor in a ``count(*)``. The first that
    fails is named, with the line (CSV) or column (Parquet). When every file reads on its
    own, the error names the group and quotes DuckDB.

    The files are read on a private connection, not the loader's: a failure that
    invalidated that one must not be blamed on the first file of the group.
    """
    if isinstance(error, duckdb.InterruptException):
        raise error
    message = str(error)
    # The file the message names (DuckDB names it for most Parquet failures) goes first.
    ordered = sorted(files, key=lambda f: str(f.path) not in message)
    with duckdb.connect() as private:
        for file in ordered:
            failure = _read_failure(private, _full_read_sql(source, file, layout))
            if isinstance(failure, duckdb.InterruptException):
                raise failure
            if failure is None or isinstance(failure, duckdb.OutOfMemoryException):
                continue  # memory is not the file's fault
            if file.format == "csv":
                problem = csv_problem(failure, file.path)
                return _error(
                    file,
                    "is not a well-formed CSV file "
                    f"({problem.replace(str(file.path), file.relative_path)})",
                    "Fix it (every row needs as many comma-separated fields as the header, "
                    "every quote must be closed, every line the same line ending) and deliver "
                    "it again, or remove it from the landing directory",
                )
            return _parquet_damage(private, file, layout, failure)
    return _group_error(files, error)


def _full_read_sql(source: Source, file: LandingFile, layout: FileLayout) -> str:
    """A read of one file that DuckDB cannot answer from metadata: every value is used."""
    scan = scan_sql(source, [file], layout, [0])
    return f"select count(*), max(length(columns(* exclude (_file_id)))) from ({scan.sql})"


def _read_failure(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Error | None:
    try:
        con.sql(sql).fetchall()
    except duckdb.Error as error:
        return error
    return None


def _parquet_damage(
    con: duckdb.DuckDBPyConnection, file: LandingFile, layout: FileLayout, failure: duckdb.Error
) -> LandingFileError:
    """A Parquet file whose data (not its footer) cannot be read: find the first column
    that fails on its own, so the operator can tell the producer what is broken."""
    path = sql_literal(str(file.path))
    column = None
    for name in layout.columns:
        found = _read_failure(
            con,
            f"select max(length(cast({sql_identifier(name)} as varchar))) "
            f"from read_parquet({path})",
        )
        if found is not None:
            column, failure = name, found
            break
    detail = duckdb_detail(failure, [file])
    where = f"the data of column {column}" if column else "its data"
    if "utf8" in first_line(failure).replace(str(file.path), "").lower():
        problem = (
            f"is damaged or was written without UTF-8 text: {where} holds text that is not "
            f"valid UTF-8 ({detail})"
        )
    else:
        problem = f"is damaged: {where} cannot be read ({detail})"
    return _error(file, problem, DELIVER_AGAIN)


def _group_error(files: Sequence[LandingFile], original: BaseException) -> LandingFileError:
    """Every file of a failed group reads on its own: name them all, with DuckDB's word."""
    names = [f.relative_path for f in files]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    detail = duckdb_detail(original, files)
    if len(files) == 1:
        subject, reads, action = (
            f"Landing file {shown}",
            "it reads when tried again",
            DELIVER_AGAIN[0].lower() + DELIVER_AGAIN[1:],
        )
    else:
        subject, reads, action = (
            f"Landing files {shown}",
            "each of them reads on its own",
            "deliver the files again or remove them from the landing directory",
        )
    return LandingFileError(
        f"{subject} could not be read ({detail}), but {reads}, so the cause is likely this "
        "machine (memory, disk space) rather than the data. Free memory or disk space and "
        f"run again; if it fails again, {action}. Nothing was loaded in this run."
    )


def csv_problem(error: BaseException, path: Path | None = None) -> str:
    """DuckDB's CSV error in plain words: the line and what is wrong with it."""
    text = str(error)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    original = re.search(r"^Original Line: (.*)$", text, re.MULTILINE)
    if line is None and "state machine reached an invalid state" in text:
        # DuckDB names no line here; mixed line endings are the usual cause.
        found = _line_ending_problem(path) if path is not None else None
        return found or (
            "DuckDB's CSV parser cannot follow it and names no line; mixed line endings "
            "or a stray carriage return are the usual cause"
        )
    if line is None or (columns is None and "unterminated quote" not in text):
        return csv_error_summary(error)
    if columns is not None:
        expected, found = columns.groups()
        problem = f"line {line[1]} has {found} fields where the header has {expected}"
    else:
        problem = f"line {line[1]} has a quote that is never closed"
    if original is not None and original[1].strip():
        shown = original[1].strip()
        problem += f"; it reads: {shown[:120]}{'...' if len(shown) > 120 else ''}"
    return problem


def _line_ending_problem(path: Path) -> str | None:
    """The first line whose ending differs from the first line's, or that holds a
    carriage return of its own; None when the line endings are consistent."""
    names = {b"\r\n": "CRLF (Windows)", b"\n": "LF (Unix)"}
    first: bytes | None = None
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            ending = next((e for e in names if line.endswith(e)), b"")  # b"": the last line
            if b"\r" in line[: len(line) - len(ending)]:
                return f"line {number} has a carriage return (\\r) in the middle of it"
            if first is None:
                first = ending
            elif ending and ending != first:
                return (
                    f"line {number} ends with {names[ending]} while the lines before it end "
                    f"with {names[first]}: the file mixes line endings"
                )
    return None


def csv_error_summary(error: BaseException) -> str:
    """The useful part of DuckDB's CSV error: the line and what was wrong with it."""
    lines = [line.strip() for line in str(error).splitlines()]
    kept: list[str] = []
    for line in lines:
        if line.startswith("Possible") or line.startswith("* ") or line.startswith("file ="):
            break
        if line:
            kept.append(line.removeprefix("Invalid Input Error: "))
    return "; ".join(kept)[:500]


def duckdb_detail(error: BaseException, files: Sequence[LandingFile]) -> str:
    """The first line of a DuckDB error, without its class prefix and with each landing
    file's absolute path shortened to its path in the landing directory."""
    text = first_line(error)
    for file in files:
        text = text.replace(str(file.path), file.relative_path)
    text = text.removeprefix("Invalid Input Error: ")
    text = re.sub(r"^Failed to read file \"[^\"]*\": ", "", text)
    # Damaged metadata can put raw bytes in the message.
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return text.strip() or type(error).__name__


def first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0][:500] if str(error).strip() else type(error).__name__


def _error(file: LandingFile, problem: str, action: str) -> LandingFileError:
    return LandingFileError(
        f"Landing file {file.relative_path} {problem}. {action}. Nothing was loaded in this run."
    )
