"""Bad rows for exercising ingest (`--dirty-rate`): the defects real exports carry.

Every bad row is an extra row copied from a clean one and broken in exactly one way, so the
clean rows are the same with or without dirt and the quarantine can be checked to the row.
Rows that belong in a later file (duplicates) go to the next month's file.

The reasons are those ingest reports under the default reporting currency USD (or, for a
single-currency sample, that currency). An amount in the reporting currency needs no rate on
any date (SPEC §4), so a `no_rate_for_date` row is dated before the first rate *and* carries
a currency other than USD, EUR and the sample's own (GBP, or CAD for a GBP sample). The
other reasons do not depend on the reporting currency: an `unknown_currency` code (ARS,
MXN, XXX) has no rates and is not the reporting currency either, and the remaining defects
are not about currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from sample_data import reference as ref
from sample_data.recall import NO_TIME, epoch
from sample_data.writer import BAD_STYLE, POSITION_STEP, Rows

# Quarantine reasons planted per source, with the exact reason codes ingest reports.
REASONS: dict[str, tuple[str, ...]] = {
    "contacts": ("missing_key", "unparseable_timestamp"),
    "transactions": (
        "missing_key",
        "unparseable_timestamp",
        "unknown_kind",
        "unknown_currency",
        "no_rate_for_date",
        "missing_amount",
        "negative_amount",
        "future_timestamp",
        "conflicting_duplicate",
    ),
    "recall_touches": (
        "missing_key",
        "unparseable_timestamp",
        "unknown_channel",
        "unknown_currency",
        "no_rate_for_date",
        "missing_amount",
        "negative_amount",
        "future_timestamp",
        "conflicting_duplicate",
    ),
}
# Rows referencing a contact: they can also be parked.
WITH_CONTACT = ("transactions", "recall_touches")
_YEAR = 360 * 86_400  # a shift that keeps a timestamp inside its target year


@dataclass
class DirtCounts:
    """What was planted in one source."""

    dirty: dict[str, int] = field(default_factory=dict)
    exact_duplicates: int = 0
    parked: int = 0


def _money_column(source: str) -> str:
    return "cost" if source == "recall_touches" else "amount"


def _candidates(source: str, rows: Rows) -> np.ndarray:
    """Clean rows a bad row may copy: not in the last file (so a duplicate has a later file
    to go to) and, for amounts, with a positive amount (so a negated one is negative)."""
    ok = rows["file"] < rows["file"].max()
    if source != "contacts":
        ok &= rows[_money_column(source)] > 0
    return np.flatnonzero(ok)


def _split(total: int, parts: int) -> list[int]:
    """`total` spread as evenly as possible over `parts`, the first ones taking the rest."""
    return [total // parts + (i < total % parts) for i in range(parts)]


def _extra(total: int, reasons: tuple[str, ...]) -> int:
    """How many exact duplicates (and rows of unknown contacts) go with `total` bad rows:
    as many as one quarantine reason gets."""
    return max(1, round(total / len(reasons)))


def no_rate_currency(single_currency: int = -1) -> int:
    """The currency (index into CURRENCIES) of the `no_rate_for_date` rows: GBP, neither USD
    nor EUR, unless every amount is in GBP (`single_currency`), then CAD."""
    return next(c for c in ref.NO_RATE_CURRENCIES if c != single_currency)


def _break(
    rng: np.random.Generator, source: str, reason: str, copy: Rows, no_rate_currency: int
) -> None:
    """Make each row of `copy` invalid for `reason` only."""
    n = len(copy["at"])
    money = _money_column(source)
    if reason == "missing_key":
        copy["customer" if source == "contacts" else "seq"][:] = -1
    elif reason == "unparseable_timestamp":
        copy["style"][:] = BAD_STYLE + rng.integers(0, len(ref.UNPARSEABLE_TIMESTAMPS), size=n)
    elif reason == "unknown_kind":
        copy["kind"][:] = len(ref.TRANSACTION_KINDS) + rng.integers(
            0, len(ref.UNKNOWN_KINDS), size=n
        )
    elif reason == "unknown_channel":
        copy["channel"][:] = len(ref.CHANNELS) + rng.integers(0, len(ref.UNKNOWN_CHANNELS), size=n)
    elif reason == "unknown_currency":
        copy["currency"][:] = len(ref.CURRENCIES) + rng.integers(
            0, len(ref.UNKNOWN_CURRENCIES), size=n
        )
    elif reason in ("no_rate_for_date", "future_timestamp"):
        year = ref.NO_RATE_YEAR if reason == "no_rate_for_date" else ref.FUTURE_YEAR
        copy["at"][:] = epoch(date(year, 1, 1)) + copy["at"] % _YEAR
        if reason == "no_rate_for_date":
            # A reporting-currency amount would convert at 1 without a rate.
            copy["currency"][:] = no_rate_currency
        if source == "recall_touches":
            copy["opened"][:] = NO_TIME
            copy["clicked"][:] = NO_TIME
    elif reason == "missing_amount":
        copy[money][:] = np.nan
    elif reason == "negative_amount":
        copy[money][:] = -copy[money]
    elif reason == "conflicting_duplicate":
        # Same key, another amount: a correction sent in a later file.
        copy[money][:] = copy[money] * 2 if source == "recall_touches" else copy[money] + 1.0
    else:
        raise ValueError(f"no way to plant {reason!r} in {source}")


def add_bad_rows(
    rng: np.random.Generator,
    source: str,
    rows: Rows,
    rate: float,
    *,
    no_rate_currency: int = ref.NO_RATE_CURRENCIES[0],
) -> tuple[Rows, DirtCounts]:
    """Append bad rows (about `rate` of the clean rows) plus as many exact duplicates and,
    for sources that reference contacts, rows of unknown contacts as one reason gets.
    `no_rate_currency` (index into CURRENCIES) is the currency of the `no_rate_for_date`
    rows.

    `rows` holds the clean rows in file order, row i at position i * POSITION_STEP; new
    keys continue after the largest clean one.
    """
    reasons = REASONS[source]
    n = len(rows["at"])
    none = DirtCounts(dirty=dict.fromkeys(reasons, 0))
    if rate <= 0 or n == 0:
        return rows, none
    candidates = _candidates(source, rows)
    total = round(rate * n)
    if total < len(reasons) and len(candidates) >= 3 * len(reasons):
        # Small samples still get every kind of defect, so each can be tested.
        total = len(reasons)
    # A sample too small to copy that many rows from gets as many as it can.
    while total > 0 and total + 2 * _extra(total, reasons) > len(candidates):
        total -= 1
    if total == 0:
        return rows, none
    per_reason = _split(total, len(reasons))
    extra = _extra(total, reasons)
    n_parked = extra if source in WITH_CONTACT else 0
    needed = total + extra + n_parked
    bases = rng.choice(candidates, size=needed, replace=False)
    next_seq = int(rows["seq"].max()) + 1 if "seq" in rows else 0

    months = np.unique(rows["file"])
    month_start = np.searchsorted(rows["file"], months, side="left")
    month_end = np.searchsorted(rows["file"], months, side="right")

    def copy_of(index: np.ndarray) -> Rows:
        return {name: values[index].copy() for name, values in rows.items()}

    def new_keys(copy: Rows) -> None:
        nonlocal next_seq
        if "seq" in copy:
            m = len(copy["seq"])
            copy["seq"][:] = np.arange(next_seq, next_seq + m)
            next_seq += m

    def into_later_file(copy: Rows) -> None:
        target = np.searchsorted(months, copy["file"], side="right")
        copy["file"][:] = months[target]
        # Between two clean rows of the later file.
        copy["pos"][:] = rng.integers(month_start[target], month_end[target]) * POSITION_STEP + 1

    parts: list[Rows] = [rows]
    counts = DirtCounts()
    used = 0
    for reason, count in zip(reasons, per_reason, strict=True):
        copy = copy_of(bases[used : used + count])
        used += count
        if reason not in ("missing_key", "conflicting_duplicate"):
            new_keys(copy)
        _break(rng, source, reason, copy, no_rate_currency)
        if reason == "conflicting_duplicate":
            into_later_file(copy)
        else:
            copy["pos"] += 2  # right after the row it was copied from
        parts.append(copy)
        counts.dirty[reason] = count

    duplicates = copy_of(bases[used : used + extra])
    used += extra
    into_later_file(duplicates)
    parts.append(duplicates)
    counts.exact_duplicates = extra

    if n_parked:
        parked = copy_of(bases[used : used + n_parked])
        new_keys(parked)
        parked["customer"][:] = -2 - rng.integers(0, ref.UNKNOWN_CONTACTS, size=n_parked)
        parked["pos"] += 2
        parts.append(parked)
        counts.parked = n_parked

    merged = {name: np.concatenate([p[name] for p in parts]) for name in rows}
    return merged, counts
