"""Parsing and row-level rules (SPEC §3), generated as SQL from the landing contract.

Every row of a batch is parsed and checked in one set-based query. The rules are an
ordered list; a row that breaks several gets the first reason only, so each quarantined
row has exactly one reason. The reason codes and their order are part of the landing
contract (``orchestration.contract.REASONS``).

The first one, ``too_long``, checks every text column with a ``max_length`` in the contract
(ids and codes 64 characters, region 64, names 200): it comes before all others because an
overlong value says the row itself is malformed, and no reference data can fix it, so such
a row is never parked or re-checked. A too-long key is ``too_long``, not a conflict or an
unknown contact.

The last one, ``conflicting_duplicate``, needs the whole batch and what is already loaded,
so the loader applies it (see ``load.py``); the others look at one row at a time and live
here.

Currency (SPEC §4): an amount in the reporting currency converts at exactly 1 on any date
and needs no rate. Any other amount needs a rate for its currency and for the reporting
currency (cross rates through the base currency) on or before its date, from the
``currency_rates`` seed or a landed ``currency_rates/`` file. The reasons that depend on
such reference data (``RECHECKED_REASONS``) are re-checked on every run, so a row waiting
for its rates or its channel loads once they arrive (see ``recheck.py``).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from orchestration.contract import (
    AMOUNT,
    BOOLEAN,
    CAMPAIGN_OFFERS,
    CURRENCY_RATES,
    DATE,
    RATE,
    TEXT,
    TIMESTAMP,
    TOUCH_OUTCOMES,
    TRANSACTION_KINDS,
    Column,
    Source,
)
from orchestration.ingest.files import Scan
from orchestration.lib.sql import sql_list, sql_literal

SQL_TYPES = {
    TEXT: "varchar",
    TIMESTAMP: "timestamp",
    DATE: "date",
    BOOLEAN: "boolean",
    AMOUNT: "decimal(18, 4)",
    RATE: "decimal(18, 8)",
}

TRUE_WORDS = ("true", "t", "1", "yes")
FALSE_WORDS = ("false", "f", "0", "no")

# The date whose rate converts a row's amount (SPEC §4): a campaign converts at its start.
RATE_DATE_COLUMNS = {
    "transactions": "occurred_at",
    "recall_touches": "sent_at",
    "campaigns": "starts_on",
}

# Enum-like text columns: lowercased, then checked against their allowed values.
ENUM_COLUMNS = ("kind", "channel", "outcome", "offer")

# Whitespace that a spreadsheet export may leave around a value.
_TRIM = "E' \\t\\r\\n'"
_SHOWN_VALUE_CHARS = 100
_RECHECKED = (
    ". Land a currency_rates file that covers this date: the row is re-checked on every run"
)


@dataclass(frozen=True)
class Reference:
    """The reference data the rules check against: the dbt seeds, the rates landed so far
    and the reporting currency."""

    channels: tuple[str, ...]
    first_rate_dates: Mapping[str, date]  # currency -> earliest date with a rate
    reporting_currency: str

    @classmethod
    def from_seeds(cls, seeds_dir: Path, reporting_currency: str) -> Reference:
        """Read ``channels.csv`` and ``currency_rates.csv`` (users may edit both)."""
        channels_path = seeds_dir / "channels.csv"
        rates_path = seeds_dir / "currency_rates.csv"
        with channels_path.open(newline="", encoding="utf-8") as handle:
            channels = tuple(
                sorted({row["channel"].strip().lower() for row in csv.DictReader(handle)})
            )
        first: dict[str, date] = {}
        with rates_path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if not (row.get("value_in_base") or "").strip():
                    continue  # an empty rate converts nothing, so it does not count
                currency = row["currency"].strip().upper()
                rate_date = date.fromisoformat(row["rate_date"].strip())
                if currency not in first or rate_date < first[currency]:
                    first[currency] = rate_date
        if not channels or not first:
            raise ValueError(
                f"The seeds {channels_path} and {rates_path} must not be empty: "
                "ingest checks channels and currencies against them."
            )
        return cls(channels=channels, first_rate_dates=first, reporting_currency=reporting_currency)

    def with_landed_rates(self, first_landed: Mapping[str, date]) -> Reference:
        """The rates of landed ``currency_rates`` files extend the seed's."""
        first = dict(self.first_rate_dates)
        for currency, rate_date in first_landed.items():
            if currency not in first or rate_date < first[currency]:
                first[currency] = rate_date
        return replace(self, first_rate_dates=first)


@dataclass(frozen=True)
class Rule:
    """One row-level check on one column.

    Both are SQL over the parse layer of :func:`batch_select_sql`, where ``r_<col>`` is
    the raw text, ``t_<col>`` the cleaned text and ``p_<col>`` the parsed value.
    ``condition`` is true when the row breaks the rule; ``detail`` is the human
    explanation for the quarantine table: the column and the offending value.
    """

    reason: str
    column: str
    condition: str
    detail: str


def clean_sql(column: Column) -> str:
    """Trimmed text, empty as null; enum-like values lowercased, currency uppercased."""
    raw = f"r_{column.name}"
    # trim() is the costliest step of a big load; most values need none, and a cheap
    # test finds those that do ('' and leading blanks sort below '!').
    trimmed = (
        f"case when {raw} < '!' or suffix({raw}, ' ') or suffix({raw}, E'\\t') "
        f"then nullif(trim({raw}, {_TRIM}), '') else {raw} end"
    )
    if column.name in ENUM_COLUMNS:
        return f"lower({trimmed})"
    if column.name == "currency":
        return f"upper({trimmed})"
    return trimmed


def parse_sql(column: Column) -> str:
    """The typed value of a cleaned column, null when it does not parse."""
    t = f"t_{column.name}"
    if column.type == TIMESTAMP:
        # The cast understands offsets ('-05:00', 'Z'); text without an offset is read in
        # the session time zone, which the loader pins to UTC, then stored as naive UTC.
        # The shape check keeps words DuckDB would accept ('epoch', 'infinity') out.
        return (
            f"case when substr({t}, 5, 1) = '-' and substr({t}, 8, 1) = '-' "
            f"then timezone('UTC', try_cast({t} as timestamptz)) end"
        )
    if column.type == DATE:
        return f"cast(try_strptime({t}, '%Y-%m-%d') as date)"
    if column.type == BOOLEAN:
        return (
            f"case when lower({t}) in {sql_list(TRUE_WORDS)} then true "
            f"when lower({t}) in {sql_list(FALSE_WORDS)} then false end"
        )
    if column.type in (AMOUNT, RATE):
        return f"try_cast({t} as {SQL_TYPES[column.type]})"
    return t


def local_date_sql(column: Column, timezone: str) -> str:
    """The calendar date of a parsed value in the reporting time zone (SPEC §4)."""
    value = f"p_{column.name}"
    if column.type == DATE:
        return value
    if timezone.upper() in ("UTC", "ETC/UTC"):
        return f"cast({value} as date)"
    return f"cast(timezone({sql_literal(timezone)}, timezone('UTC', {value})) as date)"


def row_rules(
    source: Source, reference: Reference, timezone: str, loaded_at: datetime
) -> list[Rule]:
    """The row-level rules of a source, in the order that decides a row's one reason.

    ``loaded_at`` is the load time (naive UTC): a timestamp more than one day after it
    is in the future. Campaign dates are plans, and DATE columns are not checked.

    ``too_long`` comes first (see the module docstring): a value longer than its column's
    ``max_length`` characters (DuckDB ``length()``, after trimming) wins over a missing,
    unparseable or unknown value elsewhere in the row; of several overlong columns, the
    first in contract order is named.
    """
    columns = source.columns
    by_name = {c.name: c for c in columns}
    keys = [c for c in columns if c.name in source.key or c.name == "contact_id"]
    allowed_values = {
        "kind": TRANSACTION_KINDS,
        "channel": reference.channels,
        "outcome": TOUCH_OUTCOMES,
        "offer": CAMPAIGN_OFFERS,
    }
    rules: list[Rule] = []

    def add(reason: str, column: Column, condition: str, detail: str) -> None:
        rules.append(Rule(reason, column.name, condition, detail))

    for c in columns:
        if c.max_length is not None:
            add("too_long", c, _too_long_sql(c, c.max_length), _too_long_detail(c, c.max_length))
    for c in keys:
        add("missing_key", c, f"t_{c.name} is null", sql_literal(f"{c.name} is empty"))
    for c in columns:
        if c.required and c not in keys and c.type not in (AMOUNT, RATE):
            add("missing_required", c, f"t_{c.name} is null", sql_literal(f"{c.name} is empty"))
    for column_type, reason, expected in (
        (
            TIMESTAMP,
            "unparseable_timestamp",
            "an ISO 8601 timestamp like 2026-01-31T23:30:00-05:00",
        ),
        (DATE, "unparseable_date", "a date like 2026-01-31 (YYYY-MM-DD)"),
        (AMOUNT, "unparseable_amount", "a number with '.' as decimal separator, like 1234.50"),
        (RATE, "unparseable_amount", "a number with '.' as decimal separator, like 1.0842"),
        (BOOLEAN, "invalid_boolean", "true/false, t/f, 1/0 or yes/no"),
    ):
        for c in columns:
            if c.type == column_type:
                add(
                    reason,
                    c,
                    f"t_{c.name} is not null and p_{c.name} is null",
                    f"{_shown(c)} || {sql_literal(' is not ' + expected)}",
                )
    for name in ENUM_COLUMNS:
        if name in by_name:
            c, allowed = by_name[name], allowed_values[name]
            add(
                f"unknown_{name}",
                c,
                f"p_{name} is not null and p_{name} not in {sql_list(allowed)}",
                f"{_shown(c)} || {sql_literal(' is not one of ' + ', '.join(allowed))}",
            )
    if "currency" in by_name:
        if source is CURRENCY_RATES:
            rules.extend(_rate_file_rules(source))
        else:
            rules.extend(_conversion_rules(source, reference, timezone))
    for c in columns:
        if c.type == AMOUNT:
            add("missing_amount", c, f"t_{c.name} is null", sql_literal(f"{c.name} is empty"))
    for c in columns:
        if c.type == AMOUNT:
            add(
                "negative_amount",
                c,
                f"p_{c.name} < 0",
                f"{_shown(c)} || ' is negative (refunds are positive amounts with kind refund)'",
            )
    cutoff = (loaded_at + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
    future = f" is more than one day after the load time ({loaded_at:%Y-%m-%d %H:%M:%S} UTC)"
    for c in columns:
        if c.type == TIMESTAMP:
            add(
                "future_timestamp",
                c,
                f"p_{c.name} > timestamp '{cutoff}'",
                f"{_shown(c)} || {sql_literal(future)}",
            )
    return rules


def batch_select_sql(source: Source, rules: list[Rule], scan: Scan) -> str:
    """Parse and check every row of a scan of landing files.

    The scan provides ``_seq`` (the row's position in the batch), ``_file_id`` and the
    raw text columns. Yields the batch table's columns: ``_seq``, ``_file_id``, the
    parsed contract columns, ``_rule`` (the index in ``rules`` of the first rule the
    row breaks, null for a good row), ``_row_hash`` (the content hash of a good row's
    parsed values, so exact duplicates are found with a join) and, for a broken row
    only, ``_detail`` and ``_record`` (the whole raw row as JSON). Raw text is not kept
    for good rows: at tens of millions of rows that would double the work.
    """
    names = source.column_names
    cleaned = ", ".join(f"{clean_sql(c)} as t_{c.name}" for c in source.columns)
    parsed = ", ".join(f"{parse_sql(c)} as p_{c.name}" for c in source.columns)
    typed = ", ".join(f"p_{n} as {n}" for n in names)
    first_broken = " ".join(f"when {r.condition} then {i}" for i, r in enumerate(rules))
    details = " ".join(f"when {i} then {r.detail}" for i, r in enumerate(rules))
    # md5 of the values as text, separated by the ASCII unit separator, with the record
    # separator for null: stable across DuckDB versions (unlike hash()) and cheaper
    # than JSON, which matters at tens of millions of rows.
    content = ", ".join(f"coalesce(cast(p_{n} as varchar), chr(30))" for n in names)
    return f"""
        select
            _seq,
            _file_id,
            {typed},
            _rule,
            case when _rule is null then md5(concat_ws(chr(31), {content})) end as _row_hash,
            case when _rule is not null then case _rule {details} end end as _detail,
            case when _rule is not null then {scan.record} end as _record
        from (
            select *, cast(case {first_broken} end as smallint) as _rule
            from (
                select *, {parsed}
                from (select *, {cleaned} from ({scan.sql}))
            )
        )
    """


def reason_sql(rules: list[Rule], rule_column: str = "_rule") -> str:
    """The reason code of a batch row's ``_rule``."""
    whens = " ".join(f"when {i} then {sql_literal(r.reason)}" for i, r in enumerate(rules))
    return f"case {rule_column} {whens} end"


def _conversion_rules(source: Source, reference: Reference, timezone: str) -> list[Rule]:
    """A row's amount must convert to the reporting currency on its date (SPEC §4).

    The reporting currency itself converts at 1 on any date. Another currency needs a rate
    of its own and one of the reporting currency (a cross rate through the base currency)
    on or before the date: the date must not be before either currency's first rate.
    """
    columns = {c.name: c for c in source.columns}
    reporting = reference.reporting_currency
    other = f"p_currency <> {sql_literal(reporting)}"
    no_rates = (
        " has no rates (seeds/currency_rates.csv, landing currency_rates/) and is not "
        f"the reporting currency {reporting}"
    )
    rules = [
        Rule(
            "unknown_currency",
            "currency",
            f"{other} and p_currency not in {sql_list(reference.first_rate_dates)}",
            f"{_shown(columns['currency'])} || {sql_literal(no_rates)}",
        )
    ]
    rate_column = columns.get(RATE_DATE_COLUMNS.get(source.name, ""))
    if rate_column is None:
        return rules
    rate_date = local_date_sql(rate_column, timezone)
    first_own = _first_rate_sql(reference, "p_currency")
    first_reporting = reference.first_rate_dates.get(reporting)
    where = f" (the date of {rate_column.name} in {timezone}) to convert to {reporting}; "
    own_missing = (
        f"'no ' || p_currency || ' rate on or before ' || cast({rate_date} as varchar) || "
        f"{sql_literal(where)} || p_currency || ' rates start on ' || cast({first_own} as varchar)"
    )
    if first_reporting is None:
        reporting_missing = sql_literal(f"the reporting currency {reporting} has no rates at all")
        reporting_late = "true"
    else:
        reporting_late = f"{rate_date} < date '{first_reporting.isoformat()}'"
        reporting_missing = (
            f"{sql_literal(f'no {reporting} rate on or before ')} || "
            f"cast({rate_date} as varchar) || "
            f"{sql_literal(where + f'{reporting} rates start on {first_reporting.isoformat()}')}"
        )
    rules.append(
        Rule(
            "no_rate_for_date",
            rate_column.name,
            f"{other} and ({rate_date} < {first_own} or {reporting_late})",
            f"case when {rate_date} < {first_own} then {own_missing} "
            f"else {reporting_missing} end || "
            f"{sql_literal(_RECHECKED)}",
        )
    )
    return rules


def _rate_file_rules(source: Source) -> list[Rule]:
    """A landed rate needs a currency code and a positive value in the base currency."""
    columns = {c.name: c for c in source.columns}
    return [
        Rule(
            "unknown_currency",
            "currency",
            "not regexp_full_match(p_currency, '[A-Z]{3}')",
            f"{_shown(columns['currency'])} || ' is not a three-letter currency code'",
        ),
        Rule(
            "missing_amount",
            "value_in_base",
            "t_value_in_base is null",
            sql_literal("value_in_base is empty"),
        ),
        Rule(
            "non_positive_rate",
            "value_in_base",
            "p_value_in_base <= 0",
            f"{_shown(columns['value_in_base'])} || "
            "' is not a positive rate: a currency is worth more than nothing in the base currency'",
        ),
    ]


def _first_rate_sql(reference: Reference, currency: str) -> str:
    whens = " ".join(
        f"when {sql_literal(cur)} then date '{first.isoformat()}'"
        for cur, first in sorted(reference.first_rate_dates.items())
    )
    return f"(case {currency} {whens} end)"


def _too_long_sql(column: Column, limit: int) -> str:
    """True when the cleaned text is longer than ``limit`` characters. ``strlen`` (bytes) is
    free and never below the character count, so ``length`` runs only on long values."""
    t = f"t_{column.name}"
    return f"strlen({t}) > {limit} and length({t}) > {limit}"


def _too_long_detail(column: Column, limit: int) -> str:
    """SQL for ``region is 10,000 characters; the limit is 64`` (the value is in the record)."""
    return (
        f"{sql_literal(column.name + ' is ')} || format('{{:,}}', length(t_{column.name})) || "
        f"{sql_literal(f' characters; the limit is {limit}')}"
    )


def _shown(column: Column) -> str:
    """SQL for ``<column> '<raw value>'`` in a detail message."""
    value = f"left(r_{column.name}, {_SHOWN_VALUE_CHARS})"
    return f"{sql_literal(column.name + ' ')} || '''' || {value} || ''''"
