"""Quarantined rows that waited for reference data, checked again on every run.

A row quarantined because its currency had no rates, its date came before the first rate,
or its channel was not in the channels seed is not wrong in itself: the reference data it
needs may simply not have arrived yet (a rates file covering a 1997 history, a channel a
user adds to the seed). Such rows (reasons ``RECHECKED_REASONS``) are parsed again from
the raw record the quarantine keeps, through this run's rules. A row that now passes
leaves quarantine and takes the path a new row would: it loads into raw, is parked when
its contact is not known yet, or counts as a duplicate when its key was loaded meanwhile
(a different content there makes it a ``conflicting_duplicate``). A row that still fails
stays, with its reason and detail brought up to date. What left, and why, is kept in
``ingest.quarantine_released``, so file reconciliation still holds and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from orchestration.contract import CURRENCY_RATES, RECHECKED_REASONS, Source
from orchestration.ingest.files import Scan
from orchestration.ingest.rules import Rule, batch_select_sql, reason_sql
from orchestration.lib.sql import sql_literal, sql_timestamp

_CANDIDATES = "ingest_recheck_candidates"
_CHECKED = "ingest_recheck_checked"
_OUTCOMES = "ingest_recheck_outcomes"


@dataclass(frozen=True)
class Released:
    """Rows of one source that left quarantine in this run, by where they went."""

    loaded: int = 0
    parked: int = 0
    duplicates: int = 0

    @property
    def total(self) -> int:
        return self.loaded + self.parked + self.duplicates


def recheck_quarantined(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    rules: Sequence[Rule],
    run_at: datetime,
    skip_file_ids: Sequence[int],
) -> Released:
    """Check a source's waiting quarantined rows again (see the module docstring).

    ``skip_file_ids`` are the files this run loaded: their rows were just checked with
    the same rules. Runs inside the caller's transaction.
    """
    reasons = sorted({r.reason for r in rules} & set(RECHECKED_REASONS))
    # A landed rate is reference data itself: its currency rule checks the code's shape.
    if not reasons or source is CURRENCY_RATES:
        return Released()
    con.execute(
        f"""
        create or replace temp table {_CANDIDATES} as
        select
            row_number() over (order by file_id, row_number) as _seq,
            file_id,
            row_number,
            record
        from ingest.quarantine
        where
            source = ?
            and list_contains(?, reason)
            and not list_contains(?, file_id)
        """,
        [source.name, reasons, list(skip_file_ids)],
    )
    try:
        if _count(con, f"select count(*) from {_CANDIDATES}") == 0:
            return Released()
        scan = Scan(sql=_record_scan_sql(con, source), record="record")
        checked = batch_select_sql(source, list(rules), scan)
        con.execute(f"create or replace temp table {_CHECKED} as {checked}")
        _update_still_failing(con, source, rules)
        _classify_passing(con, source)
        return _release(con, source, run_at)
    finally:
        for table in (_OUTCOMES, _CHECKED, _CANDIDATES):
            con.execute(f"drop table if exists {table}")


def _record_scan_sql(con: duckdb.DuckDBPyConnection, source: Source) -> str:
    """The candidates as a scan: ``r_<column>`` read back from each raw JSON record.

    A record is keyed by its file's own header names (case and spaces as delivered), so
    the header of each contract column is found per file, the way ingest matched it.
    """
    keys_by_file = con.execute(
        f"select file_id, json_keys(any_value(record)) from {_CANDIDATES} group by file_id"
    ).fetchall()
    by_header: dict[tuple[str, ...], list[int]] = {}
    for file_id, keys in keys_by_file:
        normalized = {key.strip().lower(): key for key in keys}
        headers = tuple(normalized[name] for name in source.column_names)
        by_header.setdefault(headers, []).append(file_id)
    parts = []
    for headers, file_ids in sorted(by_header.items(), key=lambda item: min(item[1])):
        values = ", ".join(
            f"json_extract_string(record, {sql_literal(_json_pointer(header))}) as r_{name}"
            for header, name in zip(headers, source.column_names, strict=True)
        )
        parts.append(
            f"select _seq, file_id as _file_id, record, {values} from {_CANDIDATES} "
            f"where list_contains({sorted(file_ids)}, file_id)"
        )
    return " union all ".join(parts)


def _json_pointer(key: str) -> str:
    """RFC 6901: a JSON pointer to one top-level key, whatever characters it holds."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _update_still_failing(
    con: duckdb.DuckDBPyConnection, source: Source, rules: Sequence[Rule]
) -> None:
    """A row that still fails keeps its place, with the reason and detail of this run
    (its rates may now start later than before, or another rule may now be its first)."""
    con.execute(
        f"""
        update ingest.quarantine as q
        set reason = checked.reason, detail = checked.detail
        from (
            select c.file_id, c.row_number, {reason_sql(list(rules), "b._rule")} as reason,
                b._detail as detail
            from {_CHECKED} as b
            join {_CANDIDATES} as c on c._seq = b._seq
            where b._rule is not null
        ) as checked
        where
            q.source = ?
            and q.file_id = checked.file_id
            and q.row_number = checked.row_number
            and (q.reason <> checked.reason or q.detail is distinct from checked.detail)
        """,
        [source.name],
    )


def _classify_passing(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Where each row that now passes goes: load, park, duplicate or conflict.

    Rows already in raw or parked come first (they were loadable earlier); among the
    rechecked rows themselves, the earlier file and row wins.
    """
    keys = ", ".join(source.key)
    same_key = " and ".join(f"e.{k} = p.{k}" for k in source.key)
    parked_rows = (
        f"union all select {keys}, _row_hash from ingest.parked_{source.name}"
        if source.has_contact_fk
        else ""
    )
    unknown_contact = (
        "p.contact_id not in (select contact_id from raw.contacts)"
        if source.has_contact_fk
        else "false"
    )
    con.execute(
        f"""
        create or replace temp table {_OUTCOMES} as
        with passing as (
            select
                b.*,
                c.row_number,
                row_number() over (partition by {keys} order by b._seq) as key_rank,
                first_value(b._row_hash) over (partition by {keys} order by b._seq)
                    as first_hash
            from {_CHECKED} as b
            join {_CANDIDATES} as c on c._seq = b._seq
            where b._rule is null
        ),
        existing as (
            select {keys}, _row_hash from raw.{source.name}
            {parked_rows}
        )
        select
            p.*,
            case
                when e._row_hash is not null then
                    case when e._row_hash = p._row_hash then 'duplicate' else 'conflict' end
                when p.key_rank > 1 then
                    case when p.first_hash = p._row_hash then 'duplicate' else 'conflict' end
                when {unknown_contact} then 'park'
                else 'load'
            end as _goes_to
        from passing as p
        left join existing as e on {same_key}
        """
    )


def _release(con: duckdb.DuckDBPyConnection, source: Source, run_at: datetime) -> Released:
    cols = ", ".join(source.column_names)
    meta = "_file_id, _row_number, _loaded_at, _row_hash"
    at = sql_timestamp(run_at)
    selected = f"{cols}, _file_id, row_number, {at}, _row_hash"
    con.execute(
        f"insert into raw.{source.name} ({cols}, {meta}) "
        f"select {selected} from {_OUTCOMES} where _goes_to = 'load'"
    )
    if source.has_contact_fk:
        con.execute(
            f"insert into ingest.parked_{source.name} ({cols}, {meta}, parked_at) "
            f"select {selected}, {at} from {_OUTCOMES} where _goes_to = 'park'"
        )
    key_text = " || ', ' || ".join(f"'{k} ''' || cast({k} as varchar) || ''''" for k in source.key)
    con.execute(
        f"""
        update ingest.quarantine as q
        set
            reason = 'conflicting_duplicate',
            detail = conflicts.detail
        from (
            select _file_id, row_number, {key_text}
                || ' was loaded, with different content, while this row waited for its '
                || 'reference data; the row loaded first wins' as detail
            from {_OUTCOMES}
            where _goes_to = 'conflict'
        ) as conflicts
        where
            q.source = ?
            and q.file_id = conflicts._file_id
            and q.row_number = conflicts.row_number
        """,
        [source.name],
    )
    released = f"""
        from ingest.quarantine as q
        join {_OUTCOMES} as o on q.file_id = o._file_id and q.row_number = o.row_number
        where q.source = ? and o._goes_to in ('load', 'park', 'duplicate')
    """
    con.execute(
        f"insert into ingest.quarantine_released select q.*, {at}, o._goes_to {released}",
        [source.name],
    )
    con.execute(
        f"""
        delete from ingest.quarantine as q
        using {_OUTCOMES} as o
        where
            q.source = ?
            and q.file_id = o._file_id
            and q.row_number = o.row_number
            and o._goes_to in ('load', 'park', 'duplicate')
        """,
        [source.name],
    )
    counts = dict(
        con.execute(f"select _goes_to, count(*) from {_OUTCOMES} group by _goes_to").fetchall()
    )
    return Released(
        loaded=counts.get("load", 0),
        parked=counts.get("park", 0),
        duplicates=counts.get("duplicate", 0),
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
