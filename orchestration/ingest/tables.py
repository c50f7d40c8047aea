"""The warehouse tables ingest writes, and the live reconciliation view.

- ``raw.<source>``: the contract columns with parsed types (naive UTC ``TIMESTAMP``,
  ``DATE``, ``BOOLEAN``, ``DECIMAL(18,4)``, trimmed ``VARCHAR``) plus ``_file_id``,
  ``_row_number`` (1-based data row in the file, header not counted), ``_loaded_at``
  (when the row entered raw, naive UTC) and ``_row_hash`` (content hash of the parsed
  values). Append-only. dbt's staging models read these.
- ``ingest.parked_<source>`` (sources that reference contacts): the same columns plus
  ``parked_at``; rows wait here until their contact arrives.
- ``ingest.quarantine``: source, file_id, file_name, row_number, reason, detail, record
  (the whole raw row as JSON text), quarantined_at.
- ``ingest.quarantine_released``: quarantined rows that were checked again once the
  reference data they lacked arrived (see ``recheck.py``), with ``released_at`` and
  ``released_to`` (``load``, ``park`` or ``duplicate``).
- ``ingest.load_manifest``: one row per file loaded, and per re-delivery or changed
  file detected, with the row counts at load time; a file retired by ``recall replace``
  keeps its row, with status ``replaced`` and the file that replaced it.
- ``ingest.retired_rows``: every row of a replaced file, wherever it was (``place``:
  loaded, parked, quarantined, released), as JSON text, with ``replaced_by_file_id``.
- ``ingest.file_reconciliation``: per loaded file, the counts recomputed live from the
  tables (rows released from quarantine count where they went) and whether
  rows read = loaded + quarantined + parked + duplicates.
"""

from __future__ import annotations

import duckdb

from orchestration.contract import SOURCES, Source
from orchestration.ingest.rules import SQL_TYPES
from orchestration.ingest.summary import LOADED

_QUARANTINE_COLUMNS = """
    source varchar not null,
    file_id bigint not null,
    file_name varchar not null,
    row_number bigint not null,
    reason varchar not null,
    detail varchar,
    record varchar not null,
    quarantined_at timestamp not null
"""


def columns_ddl(source: Source) -> str:
    """The columns of ``raw.<source>``: typed contract columns (required ones are never
    null: a row missing one is quarantined), then the load metadata."""
    parts = []
    for c in source.columns:
        constraint = " not null" if c.required else ""
        parts.append(f"{c.name} {SQL_TYPES[c.type]}{constraint}")
    parts += [
        "_file_id bigint not null",
        "_row_number bigint not null",
        "_loaded_at timestamp not null",
        "_row_hash varchar not null",
    ]
    return ", ".join(parts)


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ingest and raw tables if they do not exist (empty raw tables too, so
    the dbt sources always exist), and (re)create the reconciliation view."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists ingest")
    for source in SOURCES:
        con.execute(f"create table if not exists raw.{source.name} ({columns_ddl(source)})")
        if source.has_contact_fk:
            con.execute(
                f"create table if not exists ingest.parked_{source.name} "
                f"({columns_ddl(source)}, parked_at timestamp not null)"
            )
    con.execute(
        """
        create table if not exists ingest.load_manifest (
            file_id bigint primary key,
            source varchar not null,
            file_name varchar not null,
            relative_path varchar not null,
            sha256 varchar not null,
            size_bytes bigint not null,
            status varchar not null,
            loaded_at timestamp not null,
            rows_read bigint not null,
            rows_loaded bigint not null,
            rows_quarantined bigint not null,
            rows_parked bigint not null,
            rows_duplicate bigint not null,
            message varchar
        )
        """
    )
    con.execute(f"create table if not exists ingest.quarantine ({_QUARANTINE_COLUMNS})")
    # The same row, once it left quarantine (recheck.py), with when and where it went.
    con.execute(
        "create table if not exists ingest.quarantine_released "
        f"({_QUARANTINE_COLUMNS}, released_at timestamp not null, released_to varchar not null)"
    )
    con.execute(
        """
        create table if not exists ingest.retired_rows (
            source varchar not null,
            file_id bigint not null,
            row_number bigint not null,
            place varchar not null,
            record varchar not null,
            retired_at timestamp not null,
            replaced_by_file_id bigint not null
        )
        """
    )
    loaded = " union all ".join(f"select _file_id as file_id from raw.{s.name}" for s in SOURCES)
    parked = " union all ".join(
        f"select _file_id as file_id from ingest.parked_{s.name}"
        for s in SOURCES
        if s.has_contact_fk
    )
    con.execute(
        f"""
        create or replace view ingest.file_reconciliation as
        with loaded_rows as (
            select file_id, count(*) as rows_loaded from ({loaded}) group by file_id
        ),
        parked_rows as (
            select file_id, count(*) as rows_parked from ({parked}) group by file_id
        ),
        quarantined_rows as (
            select file_id, count(*) as rows_quarantined
            from ingest.quarantine
            group by file_id
        ),
        -- Quarantined rows that loaded later and turned out to be exact duplicates.
        released_duplicates as (
            select file_id, count(*) as rows_duplicate
            from ingest.quarantine_released
            where released_to = 'duplicate'
            group by file_id
        ),
        counted as (
            select
                m.file_id,
                m.source,
                m.file_name,
                m.relative_path,
                m.loaded_at,
                m.rows_read,
                coalesce(l.rows_loaded, 0) as rows_loaded,
                coalesce(q.rows_quarantined, 0) as rows_quarantined,
                coalesce(p.rows_parked, 0) as rows_parked,
                m.rows_duplicate + coalesce(d.rows_duplicate, 0) as rows_duplicate
            from ingest.load_manifest as m
            left join loaded_rows as l on l.file_id = m.file_id
            left join parked_rows as p on p.file_id = m.file_id
            left join quarantined_rows as q on q.file_id = m.file_id
            left join released_duplicates as d on d.file_id = m.file_id
            where m.status = '{LOADED}'
        )
        select
            *,
            rows_read = rows_loaded + rows_quarantined + rows_parked + rows_duplicate
                as reconciles
        from counted
        """
    )
