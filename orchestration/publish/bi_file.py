"""Publication: copy the validated marts into a new read-only DuckDB file for BI and swap it
in atomically.

DuckDB allows one writer and blocks every other open of a file it writes, so BI never
reads the working warehouse. The marts are copied into a fresh file beside the published
one, which is checkpointed and closed, then moved over it with ``os.replace`` (atomic on
one filesystem): readers already connected keep the old data, new readers get the new,
and a failed publication leaves the last good file in place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchestration.lib.sql import relations_in, sql_identifier, sql_literal

MARTS_SCHEMA = "marts"

# Personal data never leaves the working warehouse: text columns named like these are refused.
_PII_NAME = re.compile(r"(^|_)(full_name|first_name|last_name|email|phone)($|_)")


class PublishError(Exception):
    """The marts cannot be published; the previous publication stays in place."""


@dataclass(frozen=True)
class PublishResult:
    path: Path
    row_counts: dict[str, int]


@dataclass(frozen=True)
class Refresh:
    """How a table of the BI file in place catches up with the warehouse: the rows whose
    ``key`` it lacks are added, or, given ``from_date``, its rows with the date ``key`` on or
    after that date are replaced."""

    key: str
    from_date: date | None = None


def find_pii_columns(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> list[str]:
    """``table.column`` names of text columns that look like personal data."""
    rows = con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = ? and schema_name = ? and data_type = 'VARCHAR' "
        "order by table_name, column_index",
        [database, schema],
    ).fetchall()
    return [f"{table}.{column}" for table, column in rows if _PII_NAME.search(column.lower())]


def _descriptions(manifest_path: Path | None, schema: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Table and column descriptions of the published models, from the dbt manifest."""
    if manifest_path is None or not manifest_path.exists():
        return {}
    nodes = json.loads(manifest_path.read_text(encoding="utf-8"))["nodes"].values()
    return {
        node["alias"]: (
            node.get("description", ""),
            {name: col.get("description", "") for name, col in node.get("columns", {}).items()},
        )
        for node in nodes
        if node["resource_type"] == "model" and node["schema"] == schema
    }


def _comment(con: duckdb.DuckDBPyConnection, table: str, docs: tuple[str, dict[str, str]]) -> None:
    description, columns = docs
    if description:
        con.execute(f"comment on table {sql_identifier(table)} is {sql_literal(description)}")
    existing = {r[0] for r in con.execute(f"describe {sql_identifier(table)}").fetchall()}
    for column, text in columns.items():
        if text and column in existing:
            target = f"{sql_identifier(table)}.{sql_identifier(column)}"
            con.execute(f"comment on column {target} is {sql_literal(text)}")


def publish_marts(
    warehouse_path: Path,
    published_path: Path,
    *,
    manifest_path: Path | None = None,
    schema: str = MARTS_SCHEMA,
    duckdb_config: Mapping[str, str] | None = None,
    appended: Mapping[str, Refresh] | None = None,
) -> PublishResult:
    """Copy every table and view of ``schema`` in the warehouse into a new file and swap it in.
    ``duckdb_config`` is the run's DuckDB settings (``Settings.duckdb_config``); default:
    DuckDB's own.

    ``appended`` names the tables that changed only in part since the publication in place,
    which is this warehouse's last, and how (``Refresh``): the new file then starts as a copy
    of it, and those tables get only their new rows, instead of every row again (20M
    transactions and 16M customer month ends at 1M customers). One whose columns or row
    count then differ from the warehouse's is copied in full after all."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    staging_path = published_path.with_name(f".{published_path.name}.{uuid.uuid4().hex}.tmp")
    docs = _descriptions(manifest_path, schema)
    appended = dict(appended or {}) if published_path.exists() else {}
    try:
        if appended:
            shutil.copyfile(published_path, staging_path)
        con = duckdb.connect(str(staging_path), config=dict(duckdb_config or {}))
        try:
            con.execute(f"attach {sql_literal(str(warehouse_path))} as warehouse (read_only)")
            tables = [r[1] for r in con.execute(relations_in(schema, "warehouse")).fetchall()]
            if not tables:
                raise PublishError(
                    f"{warehouse_path} has no tables in schema '{schema}': "
                    "run the dbt build before publishing."
                )
            pii = find_pii_columns(con, "warehouse", schema)
            if pii:
                raise PublishError(
                    "refusing to publish personal data to the BI file: "
                    + ", ".join(pii)
                    + ". Drop these columns from the marts; contact details belong only in "
                    "the outreach export."
                )
            for table in _published_tables(con):
                if table not in appended or table not in tables:
                    con.execute(f"drop table main.{sql_identifier(table)}")
            con.execute("checkpoint")  # their space is reused by the copies below
            counts = {}
            for table in tables:
                source = f"warehouse.{sql_identifier(schema)}.{sql_identifier(table)}"
                if not (table in appended and _refresh(con, table, source, appended[table])):
                    con.execute(
                        f"create or replace table main.{sql_identifier(table)} as "
                        f"select * from {source}"
                    )
                if table in docs:
                    _comment(con, table, docs[table])
                counts[table] = con.execute(
                    f"select count(*) from main.{sql_identifier(table)}"
                ).fetchone()[0]
            con.execute("detach warehouse")
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(staging_path, published_path)
    finally:
        staging_path.unlink(missing_ok=True)
        staging_path.with_name(staging_path.name + ".wal").unlink(missing_ok=True)
    return PublishResult(path=published_path, row_counts=counts)


def _published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables of the file being written (named after it, not ``main``)."""
    return [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name = 'main'"
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe {relation}").fetchall()]


def _refresh(con: duckdb.DuckDBPyConnection, table: str, source: str, how: Refresh) -> bool:
    """Bring the published ``table`` level with ``source`` as ``how`` says; False when that
    cannot make the two equal (another shape, or rows the warehouse does not hold), and the
    table is to be copied in full."""
    target = f"main.{sql_identifier(table)}"
    if table not in _published_tables(con) or _columns(con, target) != _columns(con, source):
        return False
    column = sql_identifier(how.key)
    if how.from_date is None:
        con.execute(
            f"insert into {target} select * from {source} "
            f"where {column} not in (select {column} from {target})"
        )
    else:
        since = f"{column} >= cast({sql_literal(how.from_date.isoformat())} as date)"
        con.execute(f"delete from {target} where {since}")
        con.execute(f"insert into {target} select * from {source} where {since}")
    published, built = (
        con.execute(f"select count(*) from {relation}").fetchone()[0]
        for relation in (target, source)
    )
    return published == built
