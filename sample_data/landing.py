"""A complete synthetic landing directory: the four raw sources plus the planted truth.

See the package docstring for the layout and the behaviour of the generated business.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from orchestration.contract import SOURCES
from sample_data import reference as ref
from sample_data.dirt import REASONS, DirtCounts, add_bad_rows, no_rate_currency
from sample_data.population import (
    ContactVersions,
    Customers,
    categorical,
    make_contact_versions,
    make_customers,
)
from sample_data.purchases import Purchases, organic_purchases, refunds_for
from sample_data.recall import Campaigns, Touches, epoch, make_campaigns, run_campaigns
from sample_data.writer import (
    POSITION_STEP,
    STYLE_WEIGHTS,
    ContactIds,
    FileFormat,
    Period,
    Rows,
    contacts_layout,
    month_of,
    strings,
    touches_layout,
    transactions_layout,
    write_campaigns,
    write_files,
)

DEFAULT_END_DATE = date(2026, 10, 31)
TRUTH_FILE = "truth.json"
HISTORY_DAYS = 3 * 365
FIRST_CAMPAIGN_AFTER_DAYS = 180  # campaigns start once there is a base to win back
MIN_HISTORY_DAYS = 365
# Times are non-negative seconds since 1970 (UTC, -1 meaning none), local times included.
EARLIEST_FIRST_DAY = date(1970, 1, 2)

# Independent random streams, so that adding bad rows never changes the clean ones.
_STREAMS = ("customers", "contacts", "purchases", "recall", "refunds", "format", "dirt")


@dataclass(frozen=True)
class GenerationSummary:
    """What one `generate` call wrote."""

    out_dir: Path
    customers: int
    seed: int
    end_date: date
    file_format: str
    rows: dict[str, int]  # rows written per source, bad rows included
    bad_rows: dict[str, int]  # of which planted bad rows, duplicates and unknown contacts
    files: tuple[Path, ...]
    bytes_written: int
    elapsed_seconds: float

    @property
    def truth_path(self) -> Path:
        """The planted truth of this sample (not a landing source)."""
        return self.out_dir / TRUTH_FILE

    def format(self) -> str:
        """A short human summary, e.g. for the command line."""
        parts = []
        for source, n in self.rows.items():
            bad = self.bad_rows.get(source, 0)
            parts.append(f"{source} {n:,}" + (f" ({bad:,} bad)" if bad else ""))
        return (
            f"Generated {self.customers:,} customers (seed {self.seed}, activity up to "
            f"{self.end_date:%Y-%m-%d}) in {self.elapsed_seconds:.1f} s: "
            + ", ".join(parts)
            + f"; {len(self.files)} {self.file_format} files, {self.bytes_written / 1e6:,.1f} MB"
        )


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAMS.index(stream)])


def _check_out_dir(out_dir: Path) -> None:
    """Refuse to mix with existing landing files: ingest treats a changed file under the same
    name as a correction and a stale month as real data."""
    existing = [
        p for s in SOURCES if (out_dir / s.name).is_dir() for p in (out_dir / s.name).iterdir()
    ]
    if existing:
        raise FileExistsError(
            f"{out_dir} already holds landing files (e.g. {existing[0]}); "
            "generate into an empty directory"
        )


def _styles(rng: np.random.Generator, n: int) -> np.ndarray:
    return categorical(rng, n, STYLE_WEIGHTS)


def _positions(n: int) -> np.ndarray:
    """Place of each clean row in its file; bad rows slot in between (see dirt)."""
    return np.arange(n, dtype=np.int64) * POSITION_STEP


def _time_order(at: np.ndarray, customer: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Order by (time, customer, kind); one packed key sorts much faster than lexsort."""
    if len(customer) and customer.max() >= 2**24:
        return np.lexsort((kind, customer, at))
    key = (at.astype(np.int64) << 25) | (customer.astype(np.int64) << 1) | kind
    return np.argsort(key, kind="stable")


def _transaction_rows(rng: np.random.Generator, customers: Customers, tx: Purchases) -> Rows:
    tx = tx.take(_time_order(tx.at, tx.customer, tx.kind))
    home = customers.region[tx.customer]
    n = len(tx)
    store = np.where(
        tx.store_kind < 2,
        tx.store_kind.astype(np.int16),
        2 + home.astype(np.int16) * ref.STORES_PER_REGION + tx.store_number,
    )
    return {
        "seq": np.arange(1, n + 1, dtype=np.int64),
        "customer": tx.customer.astype(np.int64),
        "at": tx.at,
        "style": _styles(rng, n),
        "tz": home,
        "kind": tx.kind,
        "amount": tx.amount,
        "currency": customers.currency_of(tx.customer),
        "store": store,
        "category": tx.category,
        "file": month_of(tx.at),
        "pos": _positions(n),
    }


def _touch_rows(rng: np.random.Generator, customers: Customers, touches: Touches) -> Rows:
    order = np.lexsort((touches.channel, touches.campaign, touches.customer, touches.sent))
    t = touches.take(order)
    n = len(t)
    return {
        "seq": np.arange(1, n + 1, dtype=np.int64),
        "customer": t.customer.astype(np.int64),
        "campaign": t.campaign,
        "channel": t.channel,
        "at": t.sent,
        "opened": t.opened,
        "clicked": t.clicked,
        "style": _styles(rng, n),
        "tz": customers.region[t.customer],
        "delivered": t.delivered,
        "outcome": t.outcome,
        "reason": t.reason,
        "cost": t.cost,
        "currency": t.currency,
        "file": month_of(t.sent),
        "pos": _positions(n),
    }


def _contact_rows(
    rng: np.random.Generator, customers: Customers, versions: ContactVersions
) -> Rows:
    order = _time_order(
        versions.updated, versions.customer, np.zeros(len(versions), dtype=np.int64)
    )
    c = versions.customer[order]
    n = len(c)
    rows: Rows = {
        "customer": c.astype(np.int64),
        "at": versions.updated[order],
        "signup": customers.signup[c],
        "style": _styles(rng, n),
        "tz": customers.region[c],
        "region": versions.region[order],
        "acquisition": customers.acquisition[c],
        "name": customers.first_name[c].astype(np.int16) * len(ref.LAST_NAMES)
        + customers.last_name[c],
        "email_number": versions.email_number[order],
        "email_domain": versions.email_domain[order],
        "phone_number": versions.phone_number[order],
        "file": month_of(versions.updated[order]),
        "pos": _positions(n),
    }
    for i, name in enumerate(("sms_opt_in", "email_opt_in", "push_opt_in", "phone_opt_in")):
        rows[name] = versions.opt_in[order, i]
    return rows


def _dates(days: list[date]) -> pa.Array:
    since_epoch = _days(days).astype(np.int32)
    return pa.Array.from_buffers(pa.date32(), len(days), [None, pa.py_buffer(since_epoch)])


def _days(days: list[date]) -> np.ndarray:
    return np.array([(d - date(1970, 1, 1)).days for d in days], dtype=np.int64)


def _campaign_columns(campaigns: Campaigns) -> dict[str, pa.Array | np.ndarray]:
    return {
        "campaign_id": strings(campaigns.campaign_id),
        "name": strings(campaigns.name),
        "starts_on": _dates(campaigns.starts_on),
        "ends_on": _dates(campaigns.ends_on),
        "offer": strings(campaigns.offer),
        "target_tiers": strings(campaigns.target_tiers),
        "fixed_cost": np.array(campaigns.fixed_cost, dtype=np.float64),
        "currency": strings([ref.CURRENCIES[c] for c in campaigns.currency]),
    }


def _millions(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1_000_000 else f"{n:,}"


@dataclass
class _Business:
    """Everything simulated, before formatting."""

    customers: Customers
    versions: ContactVersions
    campaigns: Campaigns
    touches: Touches
    transactions: Purchases
    planted: dict
    mistargeted_first_touches: int


def _history(end_date: date, *, single_currency: bool = False) -> date:
    """The first signup date: three years back, in the multi-currency mode never before the
    currency rates begin. A single-currency history needs no rates (SPEC §4: an amount in
    the reporting currency converts at exactly 1 on any date), so it may start earlier."""
    first_day = end_date - timedelta(days=HISTORY_DAYS)
    if single_currency:
        if first_day < EARLIEST_FIRST_DAY:
            raise ValueError(
                f"end_date {end_date} would start the history before {EARLIEST_FIRST_DAY}: "
                "times are seconds since 1970 (UTC), so the end date must be "
                f"{EARLIEST_FIRST_DAY + timedelta(days=HISTORY_DAYS)} or later"
            )
        return first_day
    first_day = max(first_day, ref.FIRST_RATE_DATE + timedelta(days=7))
    if (end_date - first_day).days < MIN_HISTORY_DAYS:
        raise ValueError(
            f"end_date {end_date} leaves less than {MIN_HISTORY_DAYS} days of history after "
            f"the first currency rate ({ref.FIRST_RATE_DATE}); a single-currency sample "
            "(currency=...) may start earlier"
        )
    return first_day


def _simulate(
    customers: int,
    seed: int,
    first_day: date,
    end_date: date,
    say: Callable[[str], None],
    *,
    single_currency: int = -1,
) -> _Business:
    start, end = epoch(first_day), epoch(end_date + timedelta(days=1))
    people = make_customers(
        _rng(seed, "customers"), customers, start, end, single_currency=single_currency
    )
    say(f"customers: {customers:,}")
    versions = make_contact_versions(_rng(seed, "contacts"), people, end)
    say(f"contacts: {_millions(len(versions))} versions")
    organic = organic_purchases(_rng(seed, "purchases"), people, end)
    say(f"transactions: {_millions(len(organic))} organic purchases")
    recall_rng = _rng(seed, "recall")
    campaigns = make_campaigns(
        recall_rng,
        first_day + timedelta(days=FIRST_CAMPAIGN_AFTER_DAYS),
        end_date,
        single_currency=single_currency,
    )
    recall = run_campaigns(recall_rng, people, versions, organic, campaigns, end)
    del organic
    say(f"recall_touches: {_millions(len(recall.touches))} rows in {len(campaigns)} campaigns")
    purchases = recall.purchases
    transactions = Purchases.concat(
        [purchases, refunds_for(_rng(seed, "refunds"), people, purchases, end)]
    )
    say(f"transactions: {_millions(len(transactions))} rows")
    return _Business(
        customers=people,
        versions=versions,
        campaigns=campaigns,
        touches=recall.touches,
        transactions=transactions,
        planted=recall.planted,
        mistargeted_first_touches=recall.mistargeted_first_touches,
    )


def _write(
    out_dir: Path,
    business: _Business,
    rows: dict[str, Rows],
    file_format: FileFormat,
    period: Period,
    say: Callable[[str], None],
) -> list[Path]:
    n = len(business.customers)
    contact_ids = ContactIds(n, digits=max(7, len(str(n))))
    layouts = {
        "contacts": contacts_layout(contact_ids),
        "transactions": transactions_layout(contact_ids),
        "recall_touches": touches_layout(contact_ids, business.campaigns.campaign_id),
    }
    # Daily: one campaigns file per start date, so that delivering the days up to D brings
    # every campaign a touch up to D refers to (a touch is never sent before its start).
    files = write_campaigns(
        out_dir,
        _campaign_columns(business.campaigns),
        file_format,
        start_days=_days(business.campaigns.starts_on) if period == "day" else None,
    )
    for source, layout in layouts.items():
        written = write_files(out_dir, layout, rows[source], file_format, period)
        say(f"{source}: wrote {len(written)} files")
        files.extend(written)
    return files


def _redeliver(out_dir: Path, files: list[Path]) -> Path:
    """The latest transactions file (of the last month, or of the last day in the daily
    layout) sent again under another name: ingest must see it is already loaded."""
    original = max(p for p in files if p.parent.name == "transactions")
    copy = original.with_name(f"{original.stem}_resend{original.suffix}")
    shutil.copyfile(original, copy)
    return copy


def _truth(
    business: _Business,
    *,
    seed: int,
    end_date: date,
    first_day: date,
    currency: str | None,
    file_format: FileFormat,
    dirty_rate: float,
    no_rate_currency: str,
    clean: dict[str, int],
    written: dict[str, int],
    dirt: dict[str, DirtCounts],
    redelivered: list[str],
) -> dict:
    tx = business.transactions
    n = len(business.customers)
    buyers = np.zeros(n, dtype=bool)
    buyers[tx.customer[(tx.kind == 0) & (tx.amount > 0)]] = True
    return {
        "seed": seed,
        "customers": n,
        "end_date": end_date.isoformat(),
        "first_signup_date": first_day.isoformat(),
        "currency": currency,
        "file_format": file_format,
        "dirty_rate": dirty_rate,
        "dirty_reporting_currency": currency or ref.DEFAULT_REPORTING_CURRENCY,
        "no_rate_currency": no_rate_currency,
        "attribution_window_days": ref.ATTRIBUTION_WINDOW_DAYS,
        "dormant_after_days": ref.DORMANT_AFTER_DAYS,
        "baseline_return_probability": ref.BASELINE_RETURN_PROBABILITY,
        "uplift_by_channel": dict(ref.UPLIFT_BY_CHANNEL),
        "control_share": ref.CONTROL_SHARE,
        "counts": {"campaigns": len(business.campaigns)} | clean,
        "rows_written": written,
        "prospects": int(n - buyers.sum()),
        "transactions_by_kind": {
            kind: int((tx.kind == i).sum()) for i, kind in enumerate(ref.TRANSACTION_KINDS)
        },
        "touches_by_channel": {
            name: int((business.touches.channel == i).sum()) for i, name in enumerate(ref.CHANNELS)
        },
        "mistargeted_first_touches": business.mistargeted_first_touches,
        "planted_returns": business.planted,
        "dirty": {s: d.dirty for s, d in dirt.items()},
        "exact_duplicates": {s: d.exact_duplicates for s, d in dirt.items()},
        "parked": {s: d.parked for s, d in dirt.items() if s != "contacts"},
        "redelivered_files": redelivered,
    }


def generate(
    out_dir: Path,
    customers: int,
    seed: int,
    *,
    end_date: date = DEFAULT_END_DATE,
    file_format: FileFormat = "csv",
    dirty_rate: float = 0.0,
    currency: str | None = None,
    daily_files: bool = False,
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write a synthetic landing directory for `customers` customers, with activity up to
    and including `end_date` (UTC), and `truth.json` describing what was planted.

    The same arguments always give byte-identical files. `dirty_rate` (0..1) adds that share
    of bad rows to contacts, transactions and recall touches (see `truth.json` "dirty"),
    plus exact duplicates, rows of unknown contacts and one re-delivered file. `currency`
    (a code of CURRENCIES, e.g. "USD") puts every amount of every source in that one
    currency, and lets the history start before the first currency rate; None (the
    default) gives each region its local currency. `daily_files` writes one file per UTC
    day instead of per month (`transactions/transactions_2026-10-31.csv`, campaigns by
    starts_on), the same rows in the same order and the same truth, for delivering a
    history day by day (`deliver_days`). `progress` receives short messages such as
    "transactions: 20.1M rows". `out_dir` must not hold landing files yet.
    """
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if not 0.0 <= dirty_rate < 1.0:
        raise ValueError("dirty_rate must be in [0, 1)")
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"unknown file format {file_format!r}: use csv or parquet")
    single = -1 if currency is None else ref.currency_index(currency)
    first_day = _history(end_date, single_currency=currency is not None)
    out_dir = Path(out_dir)
    _check_out_dir(out_dir)

    business = _simulate(customers, seed, first_day, end_date, say, single_currency=single)
    fmt = _rng(seed, "format")
    rows = {
        "contacts": _contact_rows(fmt, business.customers, business.versions),
        "transactions": _transaction_rows(fmt, business.customers, business.transactions),
        "recall_touches": _touch_rows(fmt, business.customers, business.touches),
    }
    clean = {source: len(r["at"]) for source, r in rows.items()}
    dirt: dict[str, DirtCounts] = {}
    dirt_rng = _rng(seed, "dirt")
    no_rate = no_rate_currency(single)
    for source in REASONS:
        rows[source], dirt[source] = add_bad_rows(
            dirt_rng, source, rows[source], dirty_rate, no_rate_currency=no_rate
        )

    period: Period = "day" if daily_files else "month"
    files = _write(out_dir, business, rows, file_format, period, say)
    redelivered = []
    if dirty_rate > 0 and any(p.parent.name == "transactions" for p in files):
        files.append(_redeliver(out_dir, files))
        redelivered.append(files[-1].relative_to(out_dir).as_posix())

    written = {"campaigns": len(business.campaigns)} | {s: len(r["at"]) for s, r in rows.items()}
    truth = _truth(
        business,
        seed=seed,
        end_date=end_date,
        first_day=first_day,
        currency=currency,
        file_format=file_format,
        dirty_rate=dirty_rate,
        no_rate_currency=ref.CURRENCIES[no_rate],
        clean=clean,
        written=written,
        dirt=dirt,
        redelivered=redelivered,
    )
    (out_dir / TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return GenerationSummary(
        out_dir=out_dir,
        customers=customers,
        seed=seed,
        end_date=end_date,
        file_format=file_format,
        rows=written,
        bad_rows={
            s: sum(d.dirty.values()) + d.exact_duplicates + d.parked for s, d in dirt.items()
        },
        files=tuple(files),
        bytes_written=sum(p.stat().st_size for p in files),
        elapsed_seconds=time.perf_counter() - started,
    )
