"""The rows a run quarantined or parked, written as a CSV an operator can open, so nobody
has to open the warehouse file (which a run holds locked) to see what was held back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.contract import SOURCES
from orchestration.lib.sql import sql_identifier, sql_literal, sql_timestamp

PARKED_REASON = "unknown_contact"  # parked, not rejected: loads when its contact arrives

COLUMNS = ("status", "source", "file_name", "row_number", "reason", "detail", "record")


def _rows_sql(loaded_at: datetime) -> str:
    moment = sql_timestamp(loaded_at)
    parked = [
        f"""
        select
            'parked' as status,
            '{source.name}' as source,
            m.file_name,
            p._row_number as row_number,
            '{PARKED_REASON}' as reason,
            'contact_id ' || p.contact_id || ' is not in any contacts file yet' as detail,
            to_json(struct_pack({", ".join(sql_identifier(c) for c in source.column_names)}))
                ::varchar as record
        from ingest.parked_{source.name} as p
        join ingest.load_manifest as m on m.file_id = p._file_id
        where p.parked_at = {moment}
        """
        for source in SOURCES
        if source.has_contact_fk
    ]
    quarantined = f"""
        select 'quarantined' as status, source, file_name, row_number, reason, detail, record
        from ingest.quarantine
        where quarantined_at = {moment}
    """
    return " union all ".join([quarantined, *parked])


def write_quarantine_file(
    database: Path, quarantine_dir: Path, loaded_at: datetime, run_id: str
) -> tuple[Path | None, int]:
    """Write the rows this load (``loaded_at``) quarantined or parked to
    ``quarantine_dir/<load time>-<run>.csv``, in source, file and row order. Returns the path
    (None when there was nothing to write) and the row count."""
    with duckdb.connect(str(database), read_only=True) as con:
        query = f"{_rows_sql(loaded_at)} order by source, file_name, row_number, status, reason"
        count = con.execute(f"select count(*) from ({query})").fetchone()[0]
        if not count:
            return None, 0
        quarantine_dir.mkdir(parents=True, exist_ok=True)
        path = quarantine_dir / f"{loaded_at:%Y%m%dT%H%M%SZ}-{run_id[:8]}.csv"
        con.execute(f"copy ({query}) to {sql_literal(str(path))} (header, delimiter ',')")
    return path, count
