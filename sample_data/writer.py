"""Landing files: the generated rows formatted as the source systems export them.

CSV files are UTF-8 with a header row, comma separated, `true`/`false` booleans, an empty
field for a missing value and '.' as the decimal separator. Timestamps are ISO 8601 in the
customer's local offset (`2026-01-31T23:30:00-05:00`); a few rows carry UTC with a `Z`, or
no offset at all (which also means UTC). Parquet files keep the same columns: timestamps as
the same ISO text (a Parquet column cannot keep a per-row offset), amounts as DOUBLE,
booleans as BOOLEAN and dates as DATE.

Text is assembled column-wise as Arrow arrays (fixed-width digits built with numpy, small
vocabularies looked up by code) and written by Arrow's CSV and Parquet writers, one file per
UTC month (or, in the daily layout, UTC day) of the row's timestamp.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from orchestration.contract import CAMPAIGNS, CONTACTS, RECALL_TOUCHES, TRANSACTIONS, Source
from sample_data import reference as ref

FileFormat = Literal["csv", "parquet"]
# How a source's rows are split into files: one per UTC month or one per UTC day.
Period = Literal["month", "day"]
Rows = dict[str, np.ndarray]

# Timestamp styles of a row: local offset (most rows), UTC with Z, UTC without offset;
# from BAD_STYLE on, an index into UNPARSEABLE_TIMESTAMPS.
LOCAL, UTC_Z, UTC_NAIVE, BAD_STYLE = 0, 1, 2, 3
STYLE_WEIGHTS = np.array([0.95, 0.025, 0.025])
# Clean rows sit at multiples of POSITION_STEP within their file, so bad rows can be
# placed between them without moving them.
POSITION_STEP = 4
TRANSACTION_ID_DIGITS = 9
TOUCH_ID_DIGITS = 9
# Never quote: no generated value contains a comma, quote or line break, and Arrow refuses
# to write one that does, so a malformed file cannot slip out.
_CSV_OPTIONS = pcsv.WriteOptions(include_header=False, quoting_style="none")

_SUFFIXES = (*dict.fromkeys(ref.REGION_OFFSET_TEXT), "Z", "")
_SUFFIX_OF_REGION = np.array([_SUFFIXES.index(t) for t in ref.REGION_OFFSET_TEXT], dtype=np.int8)
STORE_NAMES = (
    "web",
    "app",
    *(
        f"store-{region}-{n + 1:02d}"
        for region in ref.REGIONS
        for n in range(ref.STORES_PER_REGION)
    ),
)


def month_of(utc_seconds: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of UTC instants."""
    return utc_seconds.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)


def month_label(month: int) -> str:
    return f"{1970 + month // 12:04d}-{month % 12 + 1:02d}"


def day_of(utc_seconds: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of UTC instants."""
    return utc_seconds.astype("datetime64[s]").astype("datetime64[D]").astype(np.int64)


def day_label(day: int) -> str:
    return str(np.datetime64(day, "D"))


def period_label(key: int, period: Period) -> str:
    """The date part of a file name: YYYY-MM of a month, YYYY-MM-DD of a day."""
    return month_label(key) if period == "month" else day_label(key)


def file_keys(rows: Rows, period: Period) -> np.ndarray:
    """The file of each row, as months (`rows["file"]`) or days since 1970.

    A row's day is the UTC day of the clean row it follows: clean row i sits at position
    i * POSITION_STEP and a bad row between it and the next (see dirt), so a bad row lands
    in the day of its original, and a duplicate sent in a later month in the day of the
    clean row it was slotted after. Each monthly file is thus exactly the concatenation of
    its daily files, rows in the same order.
    """
    if period == "month":
        return rows["file"]
    anchor = rows["pos"] // POSITION_STEP
    clean = rows["pos"] % POSITION_STEP == 0
    day_of_anchor = np.zeros(int(anchor.max()) + 1 if len(anchor) else 0, dtype=np.int64)
    day_of_anchor[anchor[clean]] = day_of(rows["at"][clean])
    return day_of_anchor[anchor]


def _validity(empty: np.ndarray | None) -> tuple[pa.Buffer | None, int]:
    if empty is None or not empty.any():
        return None, 0
    return pa.py_buffer(np.packbits(~empty, bitorder="little")), int(empty.sum())


def _array(
    values: np.ndarray, arrow_type: pa.DataType, empty: np.ndarray | None = None
) -> pa.Array:
    """A fixed-width Arrow array over `values` (no copy), empty where `empty` holds.

    Built from buffers because `pa.array(..., mask=...)` converts element by element for
    some types, which costs seconds at tens of millions of rows.
    """
    validity, nulls = _validity(empty)
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(
        arrow_type, len(values), [validity, pa.py_buffer(values)], null_count=nulls
    )


def _text(chars: np.ndarray, empty: np.ndarray | None = None) -> pa.Array:
    """A string array from an (n, width) matrix of ASCII codes, one row per value."""
    n, width = chars.shape
    validity, nulls = _validity(empty)
    small = (n + 1) * width < 2**31
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32 if small else np.int64)
    data = np.ascontiguousarray(chars, dtype=np.uint8)
    return pa.Array.from_buffers(
        pa.string() if small else pa.large_string(),
        n,
        [validity, pa.py_buffer(offsets), pa.py_buffer(data)],
        null_count=nulls,
    )


def _digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """(n, width) ASCII digits of non-negative integers, zero padded."""
    chars = np.empty((len(numbers), width), dtype=np.uint8)
    rest = np.maximum(numbers.astype(np.int64), 0)
    for column in range(width - 1, -1, -1):
        chars[:, column] = 48 + rest % 10
        rest //= 10
    return chars


def _ids(
    prefix: str, numbers: np.ndarray, digits: int, empty: np.ndarray | None = None
) -> pa.Array:
    """Identifiers such as T000000042."""
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    chars = np.empty((len(numbers), len(head) + digits), dtype=np.uint8)
    chars[:, : len(head)] = head
    chars[:, len(head) :] = _digits(numbers, digits)
    return _text(chars, empty)


def strings(values: Sequence[str]) -> pa.Array:
    """A string array of a few Python strings.

    Built from buffers: `pa.array` on Python objects imports pandas, which costs seconds
    in a fresh process and is not otherwise needed here.
    """
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(e) for e in encoded])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8) if encoded else np.zeros(0, np.uint8)
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(data.copy())]
    )


def _concat(*parts: pa.Array) -> pa.Array:
    """Row-wise concatenation of string arrays (empty when any part is)."""
    n = len(parts[0])
    # The separator is an array too: turning a Python "" into an Arrow scalar imports pandas.
    no_separator = pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(np.zeros(n + 1, dtype=np.int32)), pa.py_buffer(b"")]
    )
    return pc.binary_join_element_wise(*parts, no_separator)


def _lookup(vocabulary: pa.Array | tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """Text by code from a vocabulary; a negative code is an empty value."""
    if isinstance(vocabulary, tuple):
        vocabulary = strings(vocabulary)
    return vocabulary.take(_array(codes.astype(np.int32), pa.int32(), codes < 0))


def _clock_table() -> np.ndarray:
    """ASCII 'HH:MM:SS' for every second of the day, shape (86400, 8)."""
    second = np.arange(86_400)
    chars = np.full((86_400, 8), ord(":"), dtype=np.uint8)
    chars[:, 0:2] = _digits(second // 3600, 2)
    chars[:, 3:5] = _digits(second // 60 % 60, 2)
    chars[:, 6:8] = _digits(second % 60, 2)
    return chars


_CLOCK = _clock_table()


def _iso_wall_clock(wall: np.ndarray, empty: np.ndarray) -> pa.Array:
    """'YYYY-MM-DDTHH:MM:SS' of wall-clock seconds since 1970."""
    wall = np.where(empty, 0, wall)
    day = wall // ref.DAY
    first = int(day.min()) if len(day) else 0
    last = int(day.max()) if len(day) else 0
    calendar = np.datetime_as_string(np.arange(first, last + 1).astype("datetime64[D]"))
    dates = calendar.astype("S10").view(np.uint8).reshape(-1, 10)
    chars = np.empty((len(wall), 19), dtype=np.uint8)
    chars[:, :10] = dates[day - first]
    chars[:, 10] = ord("T")
    chars[:, 11:] = _CLOCK[wall - day * ref.DAY]
    return _text(chars, empty)


def _timestamps(at: np.ndarray, style: np.ndarray, tz: np.ndarray, *, may_be_bad: bool) -> pa.Array:
    """ISO 8601 text of UTC instants `at` (-1: empty) in each row's style; for a row's main
    timestamp (`may_be_bad`) a bad row gets unparseable text instead."""
    bad = style >= BAD_STYLE
    # A bad row's other timestamps stay valid, in local time.
    shown = np.where(bad, LOCAL, style)
    wall = at + np.where(shown == LOCAL, ref.REGION_OFFSET_MINUTES[tz] * 60, 0)
    empty = at < 0
    suffix = np.select(
        [shown == LOCAL, shown == UTC_Z],
        [_SUFFIX_OF_REGION[tz], _SUFFIXES.index("Z")],
        _SUFFIXES.index(""),
    )
    text = _concat(_iso_wall_clock(wall, empty), _lookup(_SUFFIXES, suffix))
    if may_be_bad and bad.any():
        garbage = _lookup(ref.UNPARSEABLE_TIMESTAMPS, np.where(bad, style - BAD_STYLE, 0))
        text = pc.if_else(_bools(bad), garbage, text)
    return text


def _amounts(values: np.ndarray, file_format: FileFormat, decimals: int = 2) -> pa.Array:
    """Amounts (NaN: empty): exact decimals in CSV, DOUBLE in Parquet."""
    doubles = _array(values.astype(np.float64), pa.float64(), np.isnan(values))
    if file_format == "parquet":
        return doubles
    return pc.cast(doubles, pa.decimal128(18, decimals), safe=False)


def _bools(values: np.ndarray, empty: np.ndarray | None = None) -> pa.Array:
    validity, nulls = _validity(empty)
    bits = pa.py_buffer(np.packbits(values.astype(bool), bitorder="little"))
    return pa.Array.from_buffers(pa.bool_(), len(values), [validity, bits], null_count=nulls)


class ContactIds:
    """contact_id text by customer code: >= 0 a known contact, -1 an empty contact_id, and
    -2 - j the j-th contact id that never arrives (rows referencing it park)."""

    def __init__(self, customers: int, digits: int) -> None:
        known = _ids("C", np.arange(1, customers + 1), digits)
        unknown = strings([f"C{'9' * digits}{j + 1}x" for j in range(ref.UNKNOWN_CONTACTS)])
        self._vocabulary = pa.concat_arrays([known, unknown])
        self._customers = customers

    def __call__(self, customer: np.ndarray) -> pa.Array:
        code = np.where(customer <= -2, self._customers + (-2 - customer), customer)
        return _lookup(self._vocabulary, code)


@dataclass(frozen=True)
class SourceLayout:
    """How one source's rows become the contract's columns."""

    source: Source
    columns: Callable[[Rows, FileFormat], dict[str, pa.Array]]


def contacts_layout(contact_ids: ContactIds) -> SourceLayout:
    names = tuple(f"{f} {last}" for f in ref.FIRST_NAMES for last in ref.LAST_NAMES)
    email_names = tuple(
        f"{f.lower()}.{last.lower()}" for f in ref.FIRST_NAMES for last in ref.LAST_NAMES
    )
    prefixes = tuple(f"{p} " for p in ref.REGION_PHONE_PREFIX)
    at_domains = tuple(f"@{d}" for d in ref.EMAIL_DOMAINS)

    def columns(rows: Rows, file_format: FileFormat) -> dict[str, pa.Array]:
        local = _digits(rows["phone_number"], 7)
        number = np.full((len(local), 8), ord(" "), dtype=np.uint8)
        number[:, :3], number[:, 4:] = local[:, :3], local[:, 3:]
        return {
            "contact_id": contact_ids(rows["customer"]),
            "full_name": _lookup(names, rows["name"]),
            "email": _concat(
                _lookup(email_names, rows["name"]),
                pc.cast(_array(rows["email_number"].astype(np.int32), pa.int32()), pa.string()),
                _lookup(at_domains, rows["email_domain"]),
            ),
            "phone": _concat(_lookup(prefixes, rows["region"]), _text(number)),
            "region": _lookup(ref.REGIONS, rows["region"]),
            "signup_at": _timestamps(rows["signup"], rows["style"], rows["tz"], may_be_bad=False),
            "acquisition_channel": _lookup(ref.ACQUISITION_CHANNELS, rows["acquisition"]),
            "sms_opt_in": _bools(rows["sms_opt_in"]),
            "email_opt_in": _bools(rows["email_opt_in"]),
            "push_opt_in": _bools(rows["push_opt_in"]),
            "phone_opt_in": _bools(rows["phone_opt_in"]),
            "updated_at": _timestamps(rows["at"], rows["style"], rows["tz"], may_be_bad=True),
        }

    return SourceLayout(CONTACTS, columns)


def transactions_layout(contact_ids: ContactIds) -> SourceLayout:
    kinds = ref.TRANSACTION_KINDS + ref.UNKNOWN_KINDS
    currencies = ref.CURRENCIES + ref.UNKNOWN_CURRENCIES

    def columns(rows: Rows, file_format: FileFormat) -> dict[str, pa.Array]:
        return {
            "transaction_id": _ids("T", rows["seq"], TRANSACTION_ID_DIGITS, rows["seq"] < 0),
            "contact_id": contact_ids(rows["customer"]),
            "occurred_at": _timestamps(rows["at"], rows["style"], rows["tz"], may_be_bad=True),
            "kind": _lookup(kinds, rows["kind"]),
            "amount": _amounts(rows["amount"], file_format),
            "currency": _lookup(currencies, rows["currency"]),
            "store_or_channel": _lookup(STORE_NAMES, rows["store"]),
            "category": _lookup(ref.CATEGORIES, rows["category"]),
        }

    return SourceLayout(TRANSACTIONS, columns)


def touches_layout(contact_ids: ContactIds, campaign_ids: list[str]) -> SourceLayout:
    channels = ref.CHANNELS + ref.UNKNOWN_CHANNELS
    currencies = ref.CURRENCIES + ref.UNKNOWN_CURRENCIES
    reasons = (*ref.LAPSE_REASON_CODES, ref.LEGACY_REASON_CODE)

    def columns(rows: Rows, file_format: FileFormat) -> dict[str, pa.Array]:
        style, tz = rows["style"], rows["tz"]
        return {
            "touch_id": _ids("R", rows["seq"], TOUCH_ID_DIGITS, rows["seq"] < 0),
            "contact_id": contact_ids(rows["customer"]),
            "campaign_id": _lookup(tuple(campaign_ids), rows["campaign"]),
            "channel": _lookup(channels, rows["channel"]),
            "sent_at": _timestamps(rows["at"], style, tz, may_be_bad=True),
            "delivered": _bools(rows["delivered"] == 1, rows["delivered"] < 0),
            "opened_at": _timestamps(rows["opened"], style, tz, may_be_bad=False),
            "clicked_at": _timestamps(rows["clicked"], style, tz, may_be_bad=False),
            "outcome": _lookup(ref.OUTCOMES, rows["outcome"]),
            "lapse_reason_code": _lookup(reasons, rows["reason"]),
            # Three decimals: an app push costs a tenth of a cent.
            "cost": _amounts(rows["cost"], file_format, decimals=3),
            "currency": _lookup(currencies, rows["currency"]),
        }

    return SourceLayout(RECALL_TOUCHES, columns)


def write_table(table: pa.Table, path: Path, file_format: FileFormat) -> None:
    """One landing file with exactly the table's columns, in order."""
    if file_format == "parquet":
        pq.write_table(table, path)
        return
    with pa.OSFile(str(path), "wb") as sink:
        sink.write((",".join(table.column_names) + "\n").encode("utf-8"))
        pcsv.write_csv(table, sink, _CSV_OPTIONS)


def _contract_table(source: Source, columns: dict[str, pa.Array]) -> pa.Table:
    if tuple(columns) != source.column_names:
        raise AssertionError(f"{source.name} columns {tuple(columns)} break the landing contract")
    return pa.table(columns)


def _write_split(
    out_dir: Path,
    source: Source,
    keys: np.ndarray,
    period: Period,
    file_format: FileFormat,
    table_of: Callable[[int, int], pa.Table],
) -> list[Path]:
    """One file `<source>_<period label>.<format>` per run of equal (ascending) `keys`,
    holding `table_of(lo, hi)`, the table of rows lo..hi."""
    if np.any(keys[1:] < keys[:-1]):
        raise AssertionError(f"{source.name} rows are not in file order")
    values, starts = np.unique(keys, return_index=True)
    ends = np.append(starts[1:], len(keys))[: len(starts)]
    folder = out_dir / source.name
    # The folder exists even when a tiny sample has no rows for it; an empty file would be
    # unreadable, so none is written.
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for value, lo, hi in zip(values.tolist(), starts.tolist(), ends.tolist(), strict=True):
        path = folder / f"{source.name}_{period_label(value, period)}.{file_format}"
        write_table(table_of(lo, hi), path, file_format)
        written.append(path)
    return written


def write_files(
    out_dir: Path,
    layout: SourceLayout,
    rows: Rows,
    file_format: FileFormat,
    period: Period = "month",
) -> list[Path]:
    """One file per month or per day (`period`, see `file_keys`) that has rows: rows are
    ordered by (file, position in file)."""
    keys = file_keys(rows, period)
    key = (keys.astype(np.int64) << 40) | rows["pos"]
    if np.all(key[1:] >= key[:-1]):
        ordered = rows
    else:
        order = np.argsort(key, kind="stable")
        ordered = {name: values[order] for name, values in rows.items()}
        keys = keys[order]

    def table_of(lo: int, hi: int) -> pa.Table:
        # Formatted file by file, so the text of only one file is in memory at a time.
        part = {name: values[lo:hi] for name, values in ordered.items()}
        return _contract_table(layout.source, layout.columns(part, file_format))

    return _write_split(out_dir, layout.source, keys, period, file_format, table_of)


def write_campaigns(
    out_dir: Path,
    columns: dict[str, pa.Array | np.ndarray],
    file_format: FileFormat,
    *,
    start_days: np.ndarray | None = None,
) -> list[Path]:
    """The campaign list, one file `campaigns.<format>`, or with `start_days` (days since
    1970 of each campaign's starts_on, ascending) one file per start date; `fixed_cost`
    comes as a numpy array."""
    typed = {
        name: _amounts(values, file_format) if isinstance(values, np.ndarray) else values
        for name, values in columns.items()
    }
    table = _contract_table(CAMPAIGNS, typed)
    if start_days is not None:
        return _write_split(
            out_dir,
            CAMPAIGNS,
            start_days,
            "day",
            file_format,
            lambda lo, hi: table.slice(lo, hi - lo),
        )
    folder = out_dir / CAMPAIGNS.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{CAMPAIGNS.name}.{file_format}"
    write_table(table, path, file_format)
    return [path]
