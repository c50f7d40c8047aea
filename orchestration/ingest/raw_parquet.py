"""The raw tables as Parquet files, which engines that read files (Spark) take as their
sources: ``<dir>/<source>/part-0.parquet``, one folder per landing source, written after
ingest from the raw tables of the warehouse file, so the quarantine, parking and manifest
rules are the same on every engine.

Timestamps are written as instants (Parquet ``isAdjustedToUTC``): raw timestamps are naive
UTC, and Spark reads such a column as its ``TIMESTAMP`` type, which the models expect.
Each folder is replaced whole: the new file is written beside it and swapped in, so a reader
never sees half a table.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from orchestration.contract import SOURCES
from orchestration.lib.folders import replace_folder
from orchestration.lib.sql import sql_identifier, sql_literal


def write_raw_parquet(database: Path, target_dir: Path) -> dict[str, int]:
    """Write every raw table of ``database`` under ``target_dir``; returns the rows per
    source."""
    target_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for source in SOURCES:
            written[source.name] = _write_table(con, source.name, target_dir)
    return written


def _write_table(con: duckdb.DuckDBPyConnection, table: str, target_dir: Path) -> int:
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = 'raw' and table_name = ? order by column_index",
        [table],
    ).fetchall()
    selected = ", ".join(
        f"cast({sql_identifier(name)} as timestamptz) as {sql_identifier(name)}"
        if data_type == "TIMESTAMP"
        else sql_identifier(name)
        for name, data_type in columns
    )
    staging = target_dir / f".{table}.new"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    written = con.execute(
        f"copy (select {selected} from raw.{sql_identifier(table)}) "
        f"to {sql_literal(str(staging / 'part-0.parquet'))} (format parquet, return_stats)"
    ).fetchall()
    replace_folder(staging, target_dir / table)
    return sum(row[1] for row in written)
