"""Run-level gates (SPEC §7) and the freshness rule: a bad delivery that is no single row's
fault stops the run before anything is published. Pure decisions plus the queries that feed
them; ``assets.py`` and the ingest asset report them as blocking Dagster asset checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey

from orchestration.ingest.summary import SourceTotals
from orchestration.lib.sql import relations_in, sql_identifier

TOP_REASONS = 3


@dataclass(frozen=True)
class GateOutcome:
    """One gate on one source or table: whether it passed and the message an operator reads."""

    passed: bool
    description: str
    metadata: Mapping[str, object] = field(default_factory=dict)

    def check_result(self, asset_key: AssetKey, check_name: str) -> AssetCheckResult:
        """The gate as a Dagster check result: a failure blocks everything downstream."""
        return AssetCheckResult(
            asset_key=asset_key,
            check_name=check_name,
            passed=self.passed,
            severity=AssetCheckSeverity.ERROR,
            description=self.description,
            metadata=dict(self.metadata),
        )


@dataclass(frozen=True)
class ReasonSample:
    reason: str
    rows: int
    file_name: str
    row_number: int
    detail: str | None
    record: str

    def format(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return (
            f"{self.reason} {self.rows:,}, e.g. {self.file_name} row {self.row_number}{detail}: "
            f"{self.record}"
        )


def top_quarantine_reasons(
    con: duckdb.DuckDBPyConnection, source: str, loaded_at: datetime, limit: int = TOP_REASONS
) -> list[ReasonSample]:
    """The most frequent quarantine reasons of a source in one load, each with its first row."""
    rows = con.execute(
        """
        with this_load as (
            select * from ingest.quarantine
            where source = ? and quarantined_at = ?
        ),
        by_reason as (
            select reason, count(*) as n from this_load group by reason
        ),
        first_rows as (
            select reason, file_name, row_number, detail, record
            from this_load
            qualify row_number() over (partition by reason order by file_name, row_number) = 1
        )
        select b.reason, b.n, f.file_name, f.row_number, f.detail, f.record
        from by_reason as b
        join first_rows as f on f.reason = b.reason
        order by b.n desc, b.reason
        limit ?
        """,
        [source, loaded_at, limit],
    ).fetchall()
    return [ReasonSample(*row) for row in rows]


def quarantine_share_gate(
    totals: SourceTotals,
    max_share: float,
    reasons: list[ReasonSample],
    quarantine_file: Path | None,
) -> GateOutcome:
    """Rows quarantined in this run against the source's rows read in this run."""
    read, quarantined = totals.rows_read, totals.quarantined
    share = quarantined / read if read else 0.0
    metadata = {
        "rows_read": read,
        "rows_quarantined": quarantined,
        "quarantine_share": round(share, 6),
        "max_quarantine_share": max_share,
        "top_reasons": {r.reason: r.rows for r in reasons},
    }
    if read and share > max_share:
        where = f" All of them are in {quarantine_file}." if quarantine_file else ""
        description = (
            f"{totals.source}: {quarantined:,} of {read:,} rows read in this run were "
            f"quarantined ({share:.1%}, above max_quarantine_share {max_share}). Top reasons: "
            + "; ".join(r.format() for r in reasons)
            + f".{where} Fix or replace the delivery and run again, or raise "
            "RECALL_VAR_MAX_QUARANTINE_SHARE if this share is expected."
        )
        return GateOutcome(False, description, metadata)
    description = (
        f"{totals.source}: {quarantined:,} of {read:,} rows quarantined ({share:.1%})"
        if read
        else f"{totals.source}: no new rows in this run"
    )
    return GateOutcome(True, description, metadata)


def table_row_counts(database: Path, schema: str | None = None) -> dict[str, int]:
    """Row counts of the tables and views of ``schema`` (of every schema when None) of a
    DuckDB file, read through a read-only connection; {} when the file does not exist."""
    if not database.exists():
        return {}
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(relations_in(schema)).fetchall()
        return {
            table: con.execute(
                f"select count(*) from {sql_identifier(s)}.{sql_identifier(table)}"
            ).fetchone()[0]
            for s, table in tables
        }


def volume_gate(
    table: str, rows: int, published_rows: int | None, min_ratio: float, allow_shrink: bool
) -> GateOutcome:
    """A published table may not shrink below ``min_ratio`` of its last publication."""
    metadata = {"rows": rows, "published_rows": published_rows, "min_volume_ratio": min_ratio}
    if not published_rows:
        return GateOutcome(True, f"{table}: {rows:,} rows (no earlier publication)", metadata)
    ratio = rows / published_rows
    metadata["ratio"] = round(ratio, 6)
    change = f"{table}: {rows:,} rows against {published_rows:,} in the last publication"
    if ratio >= min_ratio:
        return GateOutcome(True, f"{change} ({ratio:.0%})", metadata)
    if allow_shrink:
        return GateOutcome(True, f"{change} ({ratio:.0%}); allowed by --allow-shrink", metadata)
    return GateOutcome(
        False,
        f"{change} ({ratio:.0%}, below min_volume_ratio {min_ratio}). Check the delivery and "
        "the as-of date; for a deliberate rebuild run again with --allow-shrink.",
        metadata,
    )


def freshness_gate(newest: date | None, as_of: date, lag_days: int) -> GateOutcome:
    """The newest transaction on or before D must be at most ``lag_days`` older than D, or
    every customer would look more lapsed than they are."""
    metadata = {
        "as_of_date": as_of.isoformat(),
        "newest_transaction_date": newest.isoformat() if newest else None,
        "freshness_lag_days": lag_days,
    }
    if newest is None:
        return GateOutcome(
            False,
            f"no transaction is dated on or before the as-of date {as_of}: check --as-of "
            "and that the transactions were delivered.",
            metadata,
        )
    lag = (as_of - newest).days
    metadata["lag_days"] = lag
    if lag > lag_days:
        return GateOutcome(
            False,
            f"the newest transaction is dated {newest}, {lag} days before the as-of date "
            f"{as_of} (freshness_lag_days {lag_days}): transactions look stale. Deliver the "
            "missing days, set --as-of to the last delivered day, or raise "
            "RECALL_VAR_FRESHNESS_LAG_DAYS.",
            metadata,
        )
    return GateOutcome(True, f"newest transaction {newest}, {lag} days before D {as_of}", metadata)


def newest_transaction(database: Path) -> tuple[date, date | None]:
    """D of the build and the newest transaction date on or before it (None when none)."""
    with duckdb.connect(str(database), read_only=True) as con:
        (as_of,) = con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()
        (newest,) = con.execute(
            "select max(occurred_date) from marts.fct_transactions where occurred_date <= ?",
            [as_of],
        ).fetchone()
    return as_of, newest
