"""The load: landing files -> ``raw`` tables, with quarantine, parking and a manifest.

Every new file of every source is read, parsed and checked set-based in DuckDB (one
batch per source over all its new files) into session-private scratch tables; then one
transaction writes everything the warehouse keeps (see ``tables.py``), so either all of
it lands or, on any failure, nothing does. Per-file Python loops only discover, checksum
and inspect files; every row-level step is SQL.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.contract import CURRENCY_RATES, REASONS, SOURCES, SOURCES_BY_NAME, Source
from orchestration.ingest.files import (
    FileLayout,
    LandingFileError,
    Scan,
    diagnose_read_error,
    discover_files,
    inspect_file,
    scan_sql,
)
from orchestration.ingest.manifest import (
    RETIRED,
    UNCHANGED,
    FilePlan,
    plan_files,
    record_plans,
)
from orchestration.ingest.recheck import recheck_quarantined
from orchestration.ingest.replace import Replacement, retire_file
from orchestration.ingest.rules import (
    Reference,
    Rule,
    batch_select_sql,
    reason_sql,
    row_rules,
)
from orchestration.ingest.summary import (
    LOADED,
    REPLACED,
    FileResult,
    IngestSummary,
    SourceTotals,
)
from orchestration.ingest.tables import create_tables
from orchestration.lib.sql import sql_timestamp
from orchestration.settings import SEEDS_DIR, Settings

Progress = Callable[[str], None]

SCAN_GROUP_BYTES = 512 * 1024 * 1024
SCAN_GROUP_FILES = 64

log = logging.getLogger(__name__)


def ingest_landing(
    settings: Settings,
    *,
    loaded_at: datetime | None = None,
    progress: Progress | None = None,
    database: Path | None = None,
    replacement: Replacement | None = None,
) -> IngestSummary:
    """Load every new landing file into the warehouse and report what happened.

    ``database`` (default: the working file) is the DuckDB file to load into; a run loads
    into its build copy (``lib/build_copy.py``).

    ``loaded_at`` (default: now) is the load time recorded on every row and used by the
    future-timestamp rule; a naive value is taken as UTC. ``progress`` receives short
    messages for the run log. ``replacement`` is a correction to apply (``replace.py``): the
    loaded file's rows are retired in the same transaction that loads its replacement.
    Raises :class:`LandingFileError` when a new file cannot be read at all, and
    :class:`ReplacementError` when the replacement does not fit; nothing is loaded then.
    """
    say: Progress = progress or (lambda _message: None)
    run_at = _naive_utc(loaded_at or datetime.now(UTC))
    reference = Reference.from_seeds(SEEDS_DIR, settings.currency)
    say(f"Scanning {settings.landing_dir}")
    files = discover_files(settings.landing_dir, SOURCES)
    if not files:
        # A mistyped path must not publish empty tables over the last good publication.
        problem = "does not exist" if not settings.landing_dir.exists() else "holds no files"
        raise LandingFileError(
            f"The landing directory {settings.landing_dir} {problem}: expected CSV or Parquet "
            f"files under {', '.join(s.name + '/' for s in SOURCES)}. Check --landing or "
            "RECALL_LANDING (recall generate writes a sample). Nothing was loaded."
        )

    database = database or settings.warehouse_path
    database.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(database, settings.duckdb_config)
    try:
        create_tables(con)
        plans = plan_files(con, files, replacement)
        retiring = [p.replaces for p in plans if p.replaces is not None]
        for plan in plans:
            if plan.status == LOADED:
                plan.layout = inspect_file(plan.file, SOURCES_BY_NAME[plan.file.source])
        # Reading, parsing and checking fill session-private scratch tables only, so
        # they run outside the transaction (DuckDB is markedly faster there); everything
        # the warehouse keeps is written in the one transaction below. Rates come first:
        # the amounts of this run convert with the rates of this run.
        rules: dict[str, list[Rule]] = {}
        for source in SOURCES:
            rules[source.name] = row_rules(source, reference, settings.timezone, run_at)
            new = _new_files(plans, source)
            _read_source(con, source, new, rules[source.name], retiring, say)
            if source is CURRENCY_RATES:
                reference = reference.with_landed_rates(_landed_first_rates(con, retiring))
        con.execute("begin transaction")
        try:
            record_plans(con, plans, run_at)
            replaced = _retire_replaced(con, plans, run_at, say)
            totals = [
                _write_source(
                    con, source, _new_files(plans, source), rules[source.name], run_at, say
                )
                for source in SOURCES
            ]
            summary = _summarize(con, plans, totals, run_at, replaced)
            con.execute("commit")
        except BaseException:
            _rollback(con)
            raise
        con.execute("checkpoint")
    finally:
        con.close()
    return summary


def _retire_replaced(
    con: duckdb.DuckDBPyConnection, plans: Sequence[FilePlan], run_at: datetime, say: Progress
) -> list[FileResult]:
    """Retire the rows of every file this run replaces, before the replacements load."""
    results = []
    for plan in plans:
        if plan.replaces is None:
            continue
        retired = retire_file(con, plan.replaces, _file_id(plan), plan.file.relative_path, run_at)
        old_path, message = con.execute(
            "select relative_path, message from ingest.load_manifest where file_id = ?",
            [plan.replaces],
        ).fetchone()
        say(f"{old_path}: {retired:,} rows retired; {plan.file.relative_path} replaces it")
        results.append(FileResult(old_path, plan.file.source, REPLACED, message=message))
    return results


def _not_retiring(retiring: Sequence[int], column: str = "_file_id") -> str:
    """A ``where`` condition leaving out the rows of files this run replaces."""
    if not retiring:
        return "true"
    return f"{column} not in ({', '.join(str(i) for i in retiring)})"


def _connect(database: Path, config: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """A read-write connection with the run's DuckDB settings (memory limit, threads)."""
    try:
        con = duckdb.connect(str(database), config=config)
    except duckdb.IOException as error:
        raise RuntimeError(
            f"Cannot open the warehouse file {database} for writing: {error}. "
            "DuckDB allows one writer: close other programs that have it open (a DuckDB "
            "shell, a notebook, a BI tool; BI should read the published file) and run again."
        ) from error
    # Text without an offset means UTC, and Parquet timestamps are rendered as text in
    # the session zone: pin it so nothing depends on the machine's zone.
    con.execute("set TimeZone = 'UTC'")
    return con


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    # A fatal DuckDB error may already have ended the transaction; the original error
    # is the one worth reporting, and closing the connection discards any leftovers.
    try:
        con.execute("rollback")
    except duckdb.Error:
        log.warning("rollback after a failed ingest did not complete", exc_info=True)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


# --------------------------------------------------------------------------- batch


@dataclass(frozen=True)
class _Scratch:
    """Names of the session-private tables that hold one source's batch."""

    source: str

    @property
    def batch(self) -> str:
        return f"ingest_batch_{self.source}"

    @property
    def files(self) -> str:
        return f"ingest_batch_files_{self.source}"

    @property
    def exceptions(self) -> str:
        return f"ingest_exceptions_{self.source}"

    @property
    def conflict_records(self) -> str:
        return f"ingest_conflict_records_{self.source}"

    @property
    def stage(self) -> str:
        return f"ingest_stage_{self.source}"


def _new_files(plans: Sequence[FilePlan], source: Source) -> list[FilePlan]:
    return [p for p in plans if p.file.source == source.name and p.status == LOADED]


def _read_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    new: Sequence[FilePlan],
    rules: list[Rule],
    retiring: Sequence[int],
    say: Progress,
) -> None:
    """Read, parse and check a source's new files, and classify every row that will not
    simply load, into session-private tables. Rows of the files being replaced
    (``retiring``) no longer count as loaded.

    Nothing here depends on what this run writes, except parking (contacts load in the
    same run), which :func:`_write_source` decides.
    """
    if not new:
        return
    say(
        f"{source.name}: reading {len(new)} new file{'s' if len(new) > 1 else ''} "
        f"({sum(p.file.size_bytes for p in new) / 1e6:,.1f} MB)"
    )
    _read_batch(con, source, new, rules)
    _classify(con, source, retiring)
    _keep_conflict_records(con, source, new)
    rows = _count(con, f"select count(*) from {_Scratch(source.name).batch}")
    say(f"{source.name}: {rows:,} rows parsed and checked")


def _write_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    new: Sequence[FilePlan],
    rules: list[Rule],
    run_at: datetime,
    say: Progress,
) -> SourceTotals:
    """Unpark what can load now, park what cannot, write the source's new batch, then
    check again the quarantined rows that waited for reference data."""
    t = _Scratch(source.name)
    unparked = _unpark(con, source, run_at) if source.has_contact_fk else 0
    if unparked:
        say(f"{source.name}: {unparked:,} parked rows found their contact and were loaded")
    if new:
        if source.has_contact_fk:
            _park(con, source)
        _write(con, source, rules, run_at)
        _file_counts(con, source, new)
        for table in (t.conflict_records, t.exceptions, t.files, t.batch):
            con.execute(f"drop table {table}")
    released = recheck_quarantined(con, source, rules, run_at, [_file_id(p) for p in new])
    if released.total:
        say(
            f"{source.name}: {released.total:,} quarantined rows pass now that their reference "
            f"data is here ({released.loaded:,} loaded, {released.parked:,} parked, "
            f"{released.duplicates:,} exact duplicates)"
        )
    if not new:
        return SourceTotals(source.name, unparked=unparked, released=released.total)
    totals = SourceTotals(
        source.name,
        files=len(new),
        rows_read=sum(p.counts["rows_read"] for p in new),
        loaded=sum(p.counts["rows_loaded"] for p in new),
        quarantined=sum(p.counts["rows_quarantined"] for p in new),
        parked=sum(p.counts["rows_parked"] for p in new),
        duplicates=sum(p.counts["rows_duplicate"] for p in new),
        unparked=unparked,
        released=released.total,
    )
    say(
        f"{source.name}: {totals.loaded:,} rows loaded, {totals.quarantined:,} quarantined, "
        f"{totals.parked:,} parked, {totals.duplicates:,} exact duplicates"
    )
    return totals


def _landed_first_rates(con: duckdb.DuckDBPyConnection, retiring: Sequence[int]) -> dict[str, date]:
    """The first landed rate date of each currency: loaded before, or good in this run's
    batch (a conflicting duplicate is quarantined, so it does not count)."""
    t = _Scratch(CURRENCY_RATES.name)
    batch = ""
    if _table_exists(con, t.batch):
        batch = f"""
            union all
            select b.currency, b.rate_date
            from {t.batch} as b
            where
                b._rule is null
                and not exists (
                    select 1 from {t.exceptions} as x
                    where x._seq = b._seq and x.outcome = 'conflict'
                )
        """
    return dict(
        con.execute(
            f"""
            select currency, min(rate_date)
            from (
                select currency, rate_date from raw.currency_rates
                where {_not_retiring(retiring)}
                {batch}
            )
            group by currency
            """
        ).fetchall()
    )


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return _count(con, f"select count(*) from duckdb_tables() where table_name = '{name}'") > 0


def _unpark(con: duckdb.DuckDBPyConnection, source: Source, run_at: datetime) -> int:
    """Move parked rows whose contact now exists into raw (keeping file and row number,
    with this run as their load time so incremental models pick them up)."""
    cols = ", ".join(source.column_names)
    known = "contact_id in (select contact_id from raw.contacts)"
    moved = _count(
        con,
        f"insert into raw.{source.name} ({cols}, _file_id, _row_number, _loaded_at, _row_hash) "
        f"select {cols}, _file_id, _row_number, {sql_timestamp(run_at)}, _row_hash "
        f"from ingest.parked_{source.name} where {known}",
    )
    if moved:
        con.execute(f"delete from ingest.parked_{source.name} where {known}")
    return moved


def _read_batch(
    con: duckdb.DuckDBPyConnection, source: Source, plans: Sequence[FilePlan], rules: list[Rule]
) -> None:
    """Read, parse and check all new files of a source into one temporary table.

    Each row gets ``_seq``, its position in the batch in (file name, row number) order;
    its row number is ``_seq`` minus the first ``_seq`` of its file, plus one. The
    files are first copied as text into a staging table: a plain scan-to-table keeps
    file order (``preserve_insertion_order``), so the staging ``rowid`` is the order of
    the rows in the files. The parsing query is not trusted with order (DuckDB plans
    an ``in (...)`` list as a join, which reorders rows), which is why the position is
    taken before it. Consecutive files with the same format and columns are read in one
    scan, which parallelises far better than one statement per file.
    """
    t = _Scratch(source.name)
    offset = 0
    for number, group in enumerate(_scan_groups(plans)):
        files = [p.file for p in group]
        layout = _layout(group[0])
        scan = scan_sql(source, files, layout, [_file_id(p) for p in group])
        try:
            _run(
                con,
                f"create temp table {t.stage} as {scan.sql}",
                f"{source.name}: read {len(files)} file(s)",
            )
        except duckdb.Error as error:
            raise diagnose_read_error(source, files, layout, error) from error
        staged = Scan(sql=f"select rowid + {offset} as _seq, * from {t.stage}", record=scan.record)
        query = batch_select_sql(source, rules, staged)
        _run(
            con,
            f"insert into {t.batch} {query}"
            if number
            else f"create temp table {t.batch} as {query}",
            f"{source.name}: parse and check",
        )
        offset += _count(con, f"select count(*) from {t.stage}")
        con.execute(f"drop table {t.stage}")
    _run(
        con,
        f"""
        create temp table {t.files} as
        select _file_id, min(_seq) as first_seq, count(*) as rows_read
        from {t.batch}
        group by _file_id
        """,
        f"{source.name}: file bounds",
    )
    read = dict(con.execute(f"select _file_id, rows_read from {t.files}").fetchall())
    for plan in plans:
        if read.get(plan.file_id, 0) == 0:
            # Only blank lines after the header: nothing to load, and worth telling.
            raise LandingFileError(
                f"Landing file {plan.file.relative_path} has a header but no data rows. "
                "Deliver the complete export, or remove the file if there is nothing to "
                "load. Nothing was loaded in this run."
            )


def _scan_groups(plans: Sequence[FilePlan]) -> Iterator[list[FilePlan]]:
    """Consecutive files with the same format and layout, up to about
    ``SCAN_GROUP_BYTES`` and ``SCAN_GROUP_FILES`` per group: large enough for DuckDB to
    read in parallel, small enough that the raw text of one group never has to sit in
    memory at once with the whole parsed batch (and that the per-row file lookup stays
    short)."""
    for _, same_layout in itertools.groupby(plans, key=lambda p: (p.file.format, p.layout)):
        group: list[FilePlan] = []
        size = 0
        for plan in same_layout:
            full = len(group) == SCAN_GROUP_FILES
            if group and (full or size + plan.file.size_bytes > SCAN_GROUP_BYTES):
                yield group
                group, size = [], 0
            group.append(plan)
            size += plan.file.size_bytes
        yield group


def _classify(con: duckdb.DuckDBPyConnection, source: Source, retiring: Sequence[int]) -> None:
    """Find every batch row that will not simply load, and why.

    ``quarantine``: broke a row rule. Among good rows the first occurrence of a key
    wins: a key already in raw or parked, or earlier in the batch, makes the row a
    ``duplicate`` (same content: counted only) or a ``conflict`` (quarantined as
    conflicting_duplicate). Only these exceptions are stored, so the common path (load)
    is an anti-join later.
    """
    t = _Scratch(source.name)
    keys = ", ".join(source.key)
    b_keys = ", ".join(f"b.{k}" for k in source.key)

    def same_key(a: str, b: str) -> str:
        return " and ".join(f"{a}.{k} = {b}.{k}" for k in source.key)

    parked = ""
    if source.has_contact_fk:
        parked = f"""
            union all
            select {keys}, _row_hash, _file_id, _row_number, 'parked' as place
            from ingest.parked_{source.name}
            where {_not_retiring(retiring)}
        """
    _run(
        con,
        f"""
        create temp table {t.exceptions} as
        with repeated_keys as (
            select {keys}
            from {t.batch}
            where _rule is null
            group by {keys}
            having count(*) > 1
        ),
        first_of_repeated as (
            -- Counting first and looking up the first occurrence only for the few
            -- repeated keys is much cheaper than arg_min over every key.
            select
                {b_keys},
                min(b._seq) as first_seq,
                arg_min(b._row_hash, b._seq) as first_hash,
                arg_min(b._file_id, b._seq) as first_file_id
            from {t.batch} as b
            join repeated_keys as r on {same_key("r", "b")}
            where b._rule is null
            group by {b_keys}
        ),
        existing as (
            select {keys}, _row_hash, _file_id, _row_number, 'loaded' as place
            from raw.{source.name}
            where {_not_retiring(retiring)}
            {parked}
        ),
        classified as (
            select
                b._seq,
                b._file_id,
                case
                    when b._rule is not null then 'quarantine'
                    when e._row_hash is not null then
                        case when e._row_hash = b._row_hash then 'duplicate' else 'conflict' end
                    when d.first_seq <> b._seq then
                        case when d.first_hash = b._row_hash then 'duplicate' else 'conflict' end
                end as outcome,
                coalesce(e._file_id, d.first_file_id) as winner_file_id,
                e._row_number as winner_row_number,
                d.first_seq as winner_seq,
                coalesce(e.place, 'batch') as winner_place
            from {t.batch} as b
            left join existing as e on {same_key("e", "b")}
            left join first_of_repeated as d on {same_key("d", "b")}
        )
        select * from classified where outcome is not null
        """,
        f"{source.name}: classify",
    )


def _keep_conflict_records(
    con: duckdb.DuckDBPyConnection, source: Source, plans: Sequence[FilePlan]
) -> None:
    """Read the raw row of each conflicting duplicate back from its file.

    The batch keeps raw text only for rows that break a rule: keeping it for every row
    would hold a whole delivery in memory twice. Only files that hold conflicts are read
    again, grouped as in the first read; a plain scan keeps file order, so a row's
    position in its file gives its ``_seq`` back.
    """
    t = _Scratch(source.name)
    con.execute(f"create temp table {t.conflict_records} (_seq bigint, record varchar)")
    with_conflicts = {
        row[0]
        for row in con.execute(
            f"select distinct _file_id from {t.exceptions} where outcome = 'conflict'"
        ).fetchall()
    }
    for group in _scan_groups([p for p in plans if p.file_id in with_conflicts]):
        scan = scan_sql(
            source, [p.file for p in group], _layout(group[0]), [_file_id(p) for p in group]
        )
        _run(con, f"create temp table {t.stage} as {scan.sql}", f"{source.name}: read again")
        _run(
            con,
            f"""
            insert into {t.conflict_records}
            with file_starts as (
                select _file_id, min(rowid) as first_rowid from {t.stage} group by _file_id
            ),
            positioned as (
                select s.*, s.rowid - fs.first_rowid + f.first_seq as _seq
                from {t.stage} as s
                join file_starts as fs on fs._file_id = s._file_id
                join {t.files} as f on f._file_id = s._file_id
            )
            select p._seq, {scan.record}
            from positioned as p
            join {t.exceptions} as x on x._seq = p._seq
            where x.outcome = 'conflict'
            """,
            f"{source.name}: conflict records",
        )
        con.execute(f"drop table {t.stage}")


def _park(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Rows that would load but whose contact is not in raw.contacts (this run's
    contacts included) are parked."""
    t = _Scratch(source.name)
    _run(
        con,
        f"""
        insert into {t.exceptions} (_seq, _file_id, outcome)
        select b._seq, b._file_id, 'park'
        from {t.batch} as b
        left join (select distinct contact_id from raw.contacts) as kc
            on kc.contact_id = b.contact_id
        where kc.contact_id is null
            and not exists (select 1 from {t.exceptions} as x where x._seq = b._seq)
        """,
        f"{source.name}: park",
    )


def _write(
    con: duckdb.DuckDBPyConnection, source: Source, rules: list[Rule], run_at: datetime
) -> None:
    """Append the batch to raw, parked and quarantine."""
    t = _Scratch(source.name)
    cols = ", ".join(source.column_names)
    b_cols = ", ".join(f"b.{c}" for c in source.column_names)
    meta = "_file_id, _row_number, _loaded_at, _row_hash"
    row_number = "b._seq - f.first_seq + 1"
    _run(
        con,
        f"""
        insert into raw.{source.name} ({cols}, {meta})
        select {b_cols}, b._file_id, {row_number}, {sql_timestamp(run_at)}, b._row_hash
        from {t.batch} as b
        join {t.files} as f on f._file_id = b._file_id
        where not exists (select 1 from {t.exceptions} as x where x._seq = b._seq)
        """,
        f"{source.name}: insert raw",
    )
    if source.has_contact_fk:
        _run(
            con,
            f"""
            insert into ingest.parked_{source.name} ({cols}, {meta}, parked_at)
            select
                {b_cols}, b._file_id, {row_number}, {sql_timestamp(run_at)}, b._row_hash,
                {sql_timestamp(run_at)}
            from {t.exceptions} as x
            join {t.batch} as b on b._seq = x._seq
            join {t.files} as f on f._file_id = b._file_id
            where x.outcome = 'park'
            """,
            f"{source.name}: insert parked",
        )
    key_text = " || ', ' || ".join(
        f"'{k} ''' || cast(b.{k} as varchar) || ''''" for k in source.key
    )
    _run(
        con,
        f"""
        insert into ingest.quarantine
        select
            '{source.name}' as source,
            b._file_id as file_id,
            m.file_name,
            {row_number} as row_number,
            coalesce({reason_sql(rules, "b._rule")}, 'conflicting_duplicate') as reason,
            case when x.outcome = 'conflict' then
                {key_text}
                || case x.winner_place
                    when 'loaded' then ' was already loaded'
                    when 'parked' then ' is already parked'
                    else ' appeared earlier'
                end
                || ' with different content (kept: ' || wm.relative_path || ' row '
                || cast(
                    coalesce(x.winner_row_number, x.winner_seq - wf.first_seq + 1) as varchar
                )
                || '); the first occurrence wins. To correct a delivered file, use recall '
                || 'replace'
                else b._detail
            end as detail,
            coalesce(b._record, c.record) as record,
            {sql_timestamp(run_at)} as quarantined_at
        from {t.exceptions} as x
        join {t.batch} as b on b._seq = x._seq
        join {t.files} as f on f._file_id = b._file_id
        join ingest.load_manifest as m on m.file_id = b._file_id
        left join {t.conflict_records} as c on c._seq = x._seq
        left join {t.files} as wf on wf._file_id = x.winner_file_id
        left join ingest.load_manifest as wm on wm.file_id = x.winner_file_id
        where x.outcome in ('quarantine', 'conflict')
        """,
        f"{source.name}: insert quarantine",
    )


def _layout(plan: FilePlan) -> FileLayout:
    assert plan.layout is not None, "only inspected files are read"
    return plan.layout


def _file_id(plan: FilePlan) -> int:
    assert plan.file_id is not None, "files to load have an id"
    return plan.file_id


def _run(con: duckdb.DuckDBPyConnection, sql: str, what: str) -> None:
    started = time.perf_counter()
    con.execute(sql)
    log.debug("%s: %.2fs", what, time.perf_counter() - started)


def _file_counts(con: duckdb.DuckDBPyConnection, source: Source, plans: Sequence[FilePlan]) -> None:
    t = _Scratch(source.name)
    rows = con.execute(
        f"""
        select
            f._file_id,
            f.rows_read,
            count(x._seq) filter (where x.outcome in ('quarantine', 'conflict')),
            count(x._seq) filter (where x.outcome = 'park'),
            count(x._seq) filter (where x.outcome = 'duplicate')
        from {t.files} as f
        left join {t.exceptions} as x on x._file_id = f._file_id
        group by f._file_id, f.rows_read
        """
    ).fetchall()
    by_id = {r[0]: r[1:] for r in rows}
    for plan in plans:
        read, quarantined, parked, duplicates = by_id[plan.file_id]
        plan.counts = {
            "rows_read": read,
            "rows_loaded": read - quarantined - parked - duplicates,
            "rows_quarantined": quarantined,
            "rows_parked": parked,
            "rows_duplicate": duplicates,
        }
        con.execute(
            """
            update ingest.load_manifest
            set rows_read = ?, rows_loaded = ?, rows_quarantined = ?, rows_parked = ?,
                rows_duplicate = ?
            where file_id = ?
            """,
            [*plan.counts.values(), plan.file_id],
        )


# --------------------------------------------------------------------------- summary


def _summarize(
    con: duckdb.DuckDBPyConnection,
    plans: Sequence[FilePlan],
    totals: Sequence[SourceTotals],
    run_at: datetime,
    replaced: Sequence[FileResult],
) -> IngestSummary:
    run_ids = [p.file_id for p in plans if p.status == LOADED]
    counted = dict(
        con.execute(
            "select reason, count(*) from ingest.quarantine "
            "where list_contains(?, file_id) group by reason",
            [run_ids],
        ).fetchall()
    )
    by_reason = {reason: counted[reason] for reason in REASONS if reason in counted}
    # Parked rows of every run still waiting, so the operator sees how long they wait.
    parked_by_source: dict[str, int] = {}
    oldest: datetime | None = None
    for source in SOURCES:
        if not source.has_contact_fk:
            continue
        count, first = con.execute(
            f"select count(*), min(parked_at) from ingest.parked_{source.name}"
        ).fetchall()[0]
        parked_by_source[source.name] = count
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    results = list(replaced)
    for plan in plans:
        if plan.status in (UNCHANGED, RETIRED):
            continue
        results.append(
            FileResult(
                file=plan.file.relative_path,
                source=plan.file.source,
                status=plan.status,
                rows_read=plan.counts.get("rows_read", 0),
                loaded=plan.counts.get("rows_loaded", 0),
                quarantined=plan.counts.get("rows_quarantined", 0),
                parked=plan.counts.get("rows_parked", 0),
                duplicates=plan.counts.get("rows_duplicate", 0),
                message=plan.message,
            )
        )
    return IngestSummary(
        loaded_at=run_at,
        files=tuple(results),
        sources=tuple(totals),
        quarantined_by_reason=by_reason,
        parked_by_source=parked_by_source,
        oldest_parked_days=(
            round((run_at - oldest).total_seconds() / 86400, 1) if oldest is not None else None
        ),
        unchanged_files=sum(1 for p in plans if p.status == UNCHANGED),
        # The file replaced in this run is reported as replaced, not as left behind.
        retired_files=tuple(
            p.file.relative_path
            for p in plans
            if p.status == RETIRED and p.file.relative_path not in {r.file for r in replaced}
        ),
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
