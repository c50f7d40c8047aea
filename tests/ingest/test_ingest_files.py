"""Landing files: discovery, explicit-schema reading (CSV and Parquet), row numbers, and
files that cannot be read at all (they fail the run and nothing loads)."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import Landing, csv_text, row

from orchestration.contract import SOURCES_BY_NAME, Source
from orchestration.ingest import LandingFileError
from orchestration.ingest.files import (
    FileLayout,
    LandingFile,
    diagnose_read_error,
    discover_files,
    inspect_file,
)

TX_COLUMNS = list(SOURCES_BY_NAME["transactions"].column_names)


def assert_nothing_loaded(landing: Landing) -> None:
    for table in ("raw.contacts", "raw.transactions", "ingest.load_manifest", "ingest.quarantine"):
        assert landing.scalar(f"select count(*) from {table}") == 0, table


def test_missing_contract_columns_fail_the_run_naming_file_and_columns(landing: Landing) -> None:
    landing.contacts("C1")
    columns = [c for c in TX_COLUMNS if c not in ("kind", "currency")]
    landing.write("transactions", "2026-01.csv", [row("transactions")], columns=columns)

    with pytest.raises(LandingFileError) as failure:
        landing.run()

    message = str(failure.value)
    assert "transactions/2026-01.csv is missing the columns kind, currency" in message
    assert "Nothing was loaded" in message
    assert_nothing_loaded(landing)


def test_latin1_file_fails_as_not_utf8(landing: Landing) -> None:
    text = csv_text([row("contacts", full_name="José Núñez")], list(GOOD_CONTACT_COLUMNS))
    landing.write_bytes("contacts", "crm.csv", text.encode("latin-1"))

    with pytest.raises(LandingFileError) as failure:
        landing.run()

    message = str(failure.value)
    assert "contacts/crm.csv is not UTF-8 encoded (byte 0xE9 on line 2" in message
    assert "Re-export it as UTF-8" in message
    assert_nothing_loaded(landing)


GOOD_CONTACT_COLUMNS = SOURCES_BY_NAME["contacts"].column_names


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty (0 bytes)"),
        (b"\n\n", "has no header line"),
        ((",".join(TX_COLUMNS) + "\n").encode(), "has a header but no data rows"),
        ((",".join(TX_COLUMNS) + "\n\n  \n").encode(), "has a header but no data rows"),
    ],
    ids=["zero-bytes", "blank-header", "header-only", "header-and-blank-lines"],
)
def test_empty_files_fail_the_run(landing: Landing, content: bytes, problem: str) -> None:
    landing.contacts("C1")
    landing.write_bytes("transactions", "empty.csv", content)

    with pytest.raises(LandingFileError, match=re.escape(f"transactions/empty.csv {problem}")):
        landing.run()

    assert_nothing_loaded(landing)


def test_malformed_csv_fails_naming_file_and_line(landing: Landing) -> None:
    good = csv_text([row("transactions"), row("transactions", transaction_id="T2")], TX_COLUMNS)
    landing.write_bytes("transactions", "a.csv", good.encode())
    landing.write_bytes(
        "transactions", "b.csv", (good + "T3,C1,x,purchase,1,USD,web,shoes,EXTRA\n").encode()
    )

    with pytest.raises(LandingFileError) as failure:
        landing.run()

    message = str(failure.value)
    assert "transactions/b.csv is not a well-formed CSV file" in message
    assert "line 4 has 9 fields where the header has 8" in message
    assert_nothing_loaded(landing)


def test_a_bad_file_in_a_later_source_loads_nothing_at_all(landing: Landing) -> None:
    landing.contacts("C1", "C2")
    landing.write("transactions", "t.csv", [row("transactions")])
    landing.write_bytes("recall_touches", "r.csv", b"touch_id,contact_id\nR1,C1\n")

    with pytest.raises(
        LandingFileError, match=re.escape("recall_touches/r.csv is missing the columns")
    ):
        landing.run()
    assert_nothing_loaded(landing)

    (landing.dir / "recall_touches" / "r.csv").unlink()
    summary = landing.run()

    assert [f.file for f in summary.loaded_files] == [
        "contacts/contacts_001.csv",
        "transactions/t.csv",
    ]
    assert landing.scalar("select count(*) from raw.transactions") == 1


def test_only_csv_and_parquet_in_source_folders_are_read(landing: Landing) -> None:
    landing.contacts("C1")
    (landing.dir / "truth.json").write_text("{}")
    landing.write_bytes("transactions", "notes.txt", b"not a landing file")
    landing.write_bytes("transactions", ".~lock.t.csv#", b"lock")
    (landing.dir / "other").mkdir()
    (landing.dir / "other" / "x.csv").write_text("a,b\n1,2\n")

    summary = landing.run()

    assert [f.file for f in summary.files] == ["contacts/contacts_001.csv"]


def test_columns_match_by_name_extra_columns_are_ignored_and_reported(landing: Landing) -> None:
    landing.contacts("C1")
    columns = ["Note", *reversed(TX_COLUMNS), "batch"]
    rows = [row("transactions") | {"Note": "hello", "batch": "7"}]
    landing.write("transactions", "t.csv", rows, columns=columns)
    landing.write(
        "transactions",
        "u.csv",
        [row("transactions", transaction_id="T2", kind="gift") | {"Note": "x", "batch": "8"}],
        columns=columns,
    )

    summary = landing.run()

    assert landing.query("select transaction_id, amount from raw.transactions") == [
        ("T1", Decimal("25.0000"))
    ]
    assert summary.loaded_files[1].message == "ignored extra columns: Note, batch"
    assert "transactions/t.csv: ignored extra columns: Note, batch" in summary.format()
    (record,) = landing.query("select record from ingest.quarantine")[0]
    assert list(json.loads(record)) == columns  # the whole row, in file order
    assert json.loads(record)["batch"] == "8"


def test_header_names_match_ignoring_case_and_spaces(landing: Landing) -> None:
    landing.contacts("C1")
    header = ",".join(f" {c.upper()} " for c in TX_COLUMNS)
    body = csv_text([row("transactions")], TX_COLUMNS).split("\n", 1)[1]
    landing.write_bytes("transactions", "t.csv", f"{header}\n{body}".encode())

    landing.run()

    assert landing.scalar("select count(*) from raw.transactions") == 1


def test_bom_and_crlf_line_endings_are_read(landing: Landing) -> None:
    landing.contacts("C1")
    text = csv_text(
        [row("transactions"), row("transactions", transaction_id="T2", category="")], TX_COLUMNS
    )
    landing.write_bytes(
        "transactions", "excel.csv", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    )

    landing.run()

    assert landing.query("select transaction_id, category from raw.transactions order by 1") == [
        ("T1", "shoes"),
        ("T2", None),
    ]


def test_row_numbers_count_data_rows_not_lines(landing: Landing) -> None:
    landing.contacts("C1")
    rows = [
        row("transactions"),
        row("transactions", transaction_id="T2", category="two\nlines"),
        row("transactions", transaction_id="T3", kind="sale"),
    ]
    landing.write("transactions", "t.csv", rows)

    landing.run()

    assert landing.quarantined() == [("transactions", "t.csv", 3, "unknown_kind")]
    assert landing.query("select transaction_id, _row_number from raw.transactions order by 2") == [
        ("T1", 1),
        ("T2", 2),
    ]


def test_row_numbers_follow_file_order_in_large_multi_file_batches(landing: Landing) -> None:
    # Over 8 MB per file, so DuckDB reads each file in parallel chunks (this size once
    # exposed rows reordered by the parsing query); bad rows sit at chosen
    # positions, including vector (2048) and file boundaries.
    landing.contacts("C1")
    per_file = 150_000
    bad = {
        1: "unknown_currency",
        2049: "unknown_kind",
        60_001: "unknown_currency",
        per_file: "unknown_kind",
    }
    for f in range(2):
        lines = [",".join(TX_COLUMNS)]
        for n in range(1, per_file + 1):
            kind = "sale" if bad.get(n) == "unknown_kind" else "purchase"
            currency = "XYZ" if bad.get(n) == "unknown_currency" else "EUR"
            lines.append(f"F{f}-{n},C1,2026-01-15T10:00:00Z,{kind},1.5,{currency},web,x")
        landing.write_bytes("transactions", f"part_{f}.csv", ("\n".join(lines) + "\n").encode())

    landing.run()

    expected = [
        ("transactions", f"part_{f}.csv", n, reason)
        for f in range(2)
        for n, reason in sorted(bad.items())
    ]
    assert landing.quarantined() == expected
    assert (
        landing.scalar(
            "select count(*) from raw.transactions "
            "where transaction_id <> 'F' || (_file_id - 2) || '-' || _row_number"
        )
        == 0
    )
    assert landing.scalar("select count(*) from raw.transactions") == 2 * (per_file - 4)


def _transactions_parquet(rows: list[dict[str, object]]) -> pa.Table:
    schema = pa.schema(
        [
            ("transaction_id", pa.string()),
            ("contact_id", pa.string()),
            ("occurred_at", pa.timestamp("us", tz="America/New_York")),
            ("kind", pa.string()),
            ("amount", pa.decimal128(12, 2)),
            ("currency", pa.string()),
            ("store_or_channel", pa.string()),
            ("category", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def test_parquet_loads_like_csv(landing: Landing) -> None:
    landing.contacts("C1")
    occurred = datetime(2026, 2, 1, 4, 30, tzinfo=UTC)
    table = _transactions_parquet(
        [
            {
                "transaction_id": "T1",
                "contact_id": "C1",
                "occurred_at": occurred,
                "kind": "purchase",
                "amount": Decimal("25.00"),
                "currency": "usd",
                "store_or_channel": "web",
                "category": "shoes",
            },
            {
                "transaction_id": "T2",
                "contact_id": "C1",
                "occurred_at": occurred,
                "kind": "sale",
                "amount": Decimal("3.10"),
                "currency": "USD",
                "store_or_channel": None,
                "category": None,
            },
        ]
    )
    pq.write_table(table, landing.path("transactions", "t.parquet"))
    # The same purchase as CSV text with its offset: the same content, so a duplicate.
    landing.write(
        "transactions", "u.csv", [row("transactions", occurred_at="2026-01-31T23:30:00-05:00")]
    )

    summary = landing.run()

    assert landing.query(
        "select transaction_id, occurred_at, amount, currency, _row_number from raw.transactions"
    ) == [("T1", datetime(2026, 2, 1, 4, 30), Decimal("25.0000"), "USD", 1)]
    assert landing.quarantined() == [("transactions", "t.parquet", 2, "unknown_kind")]
    (record,) = landing.query("select record from ingest.quarantine")[0]
    assert json.loads(record)["occurred_at"] == "2026-02-01 04:30:00+00"
    assert [(f.file, f.loaded, f.quarantined, f.duplicates) for f in summary.loaded_files] == [
        ("contacts/contacts_001.csv", 1, 0, 0),
        ("transactions/t.parquet", 1, 1, 0),
        ("transactions/u.csv", 0, 0, 1),
    ]


def test_parquet_missing_a_column_fails_the_run(landing: Landing) -> None:
    table = _transactions_parquet([]).drop_columns(["currency"])
    table = pa.Table.from_pylist([{"transaction_id": "T1"}], schema=table.schema)
    pq.write_table(table, landing.path("transactions", "t.parquet"))

    with pytest.raises(
        LandingFileError, match=re.escape("transactions/t.parquet is missing the column currency")
    ):
        landing.run()


def test_utf8_text_loads_even_when_a_character_spans_read_chunks(landing: Landing) -> None:
    header = ",".join(GOOD_CONTACT_COLUMNS) + "\n"
    first = csv_text([row("contacts", full_name="José Núñez")], list(GOOD_CONTACT_COLUMNS))
    first = first.split("\n", 1)[1]
    # Pad the second row's email (a name that long is too_long) so its 'é' (two bytes)
    # straddles the 1 MiB read boundary.
    prefix = (header + first + "C2,Ann Lee,").encode()
    padding = "x" * ((1 << 20) - len(prefix) - 1)
    second = csv_text(
        [row("contacts", contact_id="C2", email=padding + "é")], list(GOOD_CONTACT_COLUMNS)
    ).split("\n", 1)[1]
    content = (header + first + second).encode()
    assert content[(1 << 20) - 1 : (1 << 20) + 1] == "é".encode()
    landing.write_bytes("contacts", "crm.csv", content)

    landing.run()

    assert landing.query(
        "select contact_id, right(full_name, 3), right(email, 3) from raw.contacts order by 1"
    ) == [("C1", "ñez", "com"), ("C2", "Lee", "xxé")]


# --------------------------------------------------------------------------- damaged files
# Each damaged file fails the run with one LandingFileError that names the file, says what
# is wrong in plain words and what to do; nothing loads (not even the good contacts file).

DELIVER_AGAIN = "Deliver the file again or remove it from the landing directory"


def _many_transactions_parquet(n: int = 5000) -> pa.Table:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return _transactions_parquet(
        [
            {
                "transaction_id": f"T{i}",
                "contact_id": "C1",
                "occurred_at": start + timedelta(minutes=i),
                "kind": "purchase",
                "amount": Decimal(i) / 100,
                "currency": "USD",
                "store_or_channel": "web",
                "category": f"category number {i}",
            }
            for i in range(n)
        ]
    )


def _write_parquet(landing: Landing, name: str) -> bytes:
    path = landing.path("transactions", name)
    # Plain pages: every value of a column sits in its data pages, none in a dictionary.
    pq.write_table(_many_transactions_parquet(), path, use_dictionary=False)
    return path.read_bytes()


def _category_chunk(path: Path) -> tuple[int, int]:
    column = pq.ParquetFile(path).metadata.row_group(0).column(TX_COLUMNS.index("category"))
    return column.data_page_offset, column.total_compressed_size


def _damage_column_data(landing: Landing, name: str) -> None:
    """Overwrite the middle of the category column's data: the footer stays intact."""
    _write_parquet(landing, name)
    path = landing.path("transactions", name)
    offset, size = _category_chunk(path)
    content = bytearray(path.read_bytes())
    middle = offset + size // 2
    content[middle : middle + 64] = b"\xff" * 64
    path.write_bytes(bytes(content))


def _assert_fails(landing: Landing, *fragments: str) -> str:
    with pytest.raises(LandingFileError) as failure:
        landing.run()
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message
    assert message.endswith("Nothing was loaded in this run.")
    assert "Traceback" not in message and "/landing/" not in message  # no absolute paths
    assert_nothing_loaded(landing)
    return message


def test_parquet_damaged_in_the_middle_names_file_and_column(landing: Landing) -> None:
    # The footer reads, so inspection passes; only reading the column's pages fails.
    landing.contacts("C1")
    _damage_column_data(landing, "2026-01.parquet")

    _assert_fails(
        landing,
        "Landing file transactions/2026-01.parquet is damaged",
        "the data of column category",
        DELIVER_AGAIN,
    )


def test_damaged_parquet_in_a_multi_file_scan_is_the_one_named(landing: Landing) -> None:
    landing.contacts("C1")
    _write_parquet(landing, "2026-00.parquet")
    _damage_column_data(landing, "2026-01.parquet")
    _write_parquet(landing, "2026-02.parquet")

    message = _assert_fails(landing, "Landing file transactions/2026-01.parquet is damaged")
    assert "2026-00" not in message and "2026-02" not in message


def test_truncated_parquet_fails_naming_the_file(landing: Landing) -> None:
    landing.contacts("C1")
    content = _write_parquet(landing, "2026-01.parquet")
    landing.write_bytes("transactions", "2026-01.parquet", content[: len(content) // 2])

    _assert_fails(
        landing,
        "Landing file transactions/2026-01.parquet is truncated",
        "before the Parquet footer",
        DELIVER_AGAIN,
    )


def test_zero_byte_parquet_fails_as_empty(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write_bytes("transactions", "2026-01.parquet", b"")

    _assert_fails(landing, "Landing file transactions/2026-01.parquet is empty (0 bytes)")


@pytest.mark.parametrize(
    ("content", "seems"),
    [
        (csv_text([row("transactions")], TX_COLUMNS).encode(), "it looks like text"),
        (gzip.compress(b"not parquet"), "it looks like gzip-compressed data"),
    ],
    ids=["csv-text", "gzip"],
)
def test_file_named_parquet_that_is_not_parquet(
    landing: Landing, content: bytes, seems: str
) -> None:
    landing.contacts("C1")
    landing.write_bytes("transactions", "2026-01.parquet", content)

    _assert_fails(landing, "Landing file transactions/2026-01.parquet is not a Parquet file", seems)


def test_parquet_with_a_damaged_footer_is_not_readable(landing: Landing) -> None:
    landing.contacts("C1")
    content = bytearray(_write_parquet(landing, "2026-01.parquet"))
    footer_length = int.from_bytes(content[-8:-4], "little")
    content[-8 - footer_length : -8] = b"\xff" * footer_length
    landing.write_bytes("transactions", "2026-01.parquet", bytes(content))

    _assert_fails(landing, "Landing file transactions/2026-01.parquet is not a readable Parquet")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            gzip.compress(csv_text([row("transactions")], TX_COLUMNS).encode()),
            "is gzip-compressed, not plain CSV text",
        ),
        (bytes(range(256)) * 20, "holds binary data"),
        (b"PK\x03\x04" + bytes(range(256)), "is a ZIP archive"),
        (
            csv_text([row("transactions")], TX_COLUMNS).encode("utf-16"),
            "is not UTF-8 encoded: it starts with a UTF-16 byte order mark",
        ),
    ],
    ids=["gzip", "binary", "zip", "utf-16"],
)
def test_csv_that_is_not_csv_text_says_what_it_is(
    landing: Landing, content: bytes, problem: str
) -> None:
    landing.contacts("C1")
    landing.write_bytes("transactions", "2026-01.csv", content)

    message = _assert_fails(landing, f"Landing file transactions/2026-01.csv {problem}")
    assert "Latin-1" not in message


def _many_csv_lines(n: int) -> list[str]:
    rows = [row("transactions", transaction_id=f"T{i}") for i in range(n)]
    return csv_text(rows, TX_COLUMNS).splitlines()


def test_csv_with_a_bad_byte_deep_in_the_file_fails_as_not_utf8(landing: Landing) -> None:
    # Far past the rows DuckDB samples (20,480), so no sniffing would see it.
    landing.contacts("C1")
    lines = _many_csv_lines(30_000)
    content = "\n".join(lines[:25_000]).encode() + b"\n" + lines[25_000].encode() + b"\xe9\n"
    content += "\n".join(lines[25_001:]).encode() + b"\n"
    landing.write_bytes("transactions", "2026-01.csv", content)

    _assert_fails(
        landing,
        "Landing file transactions/2026-01.csv is not UTF-8 encoded (byte 0xE9 on line 25001",
        "Re-export it as UTF-8",
    )


def test_csv_with_an_unterminated_quote_near_the_end(landing: Landing) -> None:
    landing.contacts("C1")
    lines = _many_csv_lines(30_000)
    lines[-2] = lines[-2].replace(",web,", ',"web,')  # opens a quote that never closes
    landing.write_bytes("transactions", "2026-01.csv", ("\n".join(lines) + "\n").encode())

    _assert_fails(
        landing,
        "Landing file transactions/2026-01.csv is not a well-formed CSV file "
        f"(line {len(lines) - 1} has a quote that is never closed",
        "remove it from the landing directory",
    )


def test_csv_row_with_too_many_columns_mid_file(landing: Landing) -> None:
    landing.contacts("C1")
    lines = _many_csv_lines(30_000)
    lines[15_000] += ",EXTRA"
    landing.write("transactions", "2026-00.csv", [row("transactions", transaction_id="X")])
    landing.write_bytes("transactions", "2026-01.csv", ("\n".join(lines) + "\n").encode())

    message = _assert_fails(
        landing,
        "Landing file transactions/2026-01.csv is not a well-formed CSV file "
        "(line 15001 has 9 fields where the header has 8",
    )
    assert "2026-00.csv" not in message


@pytest.mark.parametrize(
    ("newline", "problem"),
    [
        ("\n", "line 3001 ends with LF (Unix) while the lines before it end with CRLF (Windows)"),
        ("\r", "line 3001 has a carriage return (\\r) in the middle of it"),
    ],
    ids=["mixed-line-endings", "stray-carriage-return"],
)
def test_csv_line_endings_duckdb_cannot_follow(
    landing: Landing, newline: str, problem: str
) -> None:
    # DuckDB names no line for these; the message still does.
    landing.contacts("C1")
    lines = _many_csv_lines(5000)
    text = "\r\n".join(lines[:3000]) + "\r\n" + lines[3000] + newline + "\r\n".join(lines[3001:])
    landing.write_bytes("transactions", "2026-01.csv", (text + "\r\n").encode())

    _assert_fails(
        landing, f"Landing file transactions/2026-01.csv is not a well-formed CSV file ({problem}"
    )


def _good_group(landing: Landing) -> tuple[Source, list[LandingFile], FileLayout]:
    landing.write("transactions", "a.csv", [row("transactions")])
    landing.write("transactions", "b.csv", [row("transactions", transaction_id="T2")])
    source = SOURCES_BY_NAME["transactions"]
    files = discover_files(landing.dir, [source])
    return source, files, inspect_file(files[0], source)


def test_a_group_failure_no_file_explains_still_names_the_files(landing: Landing) -> None:
    # Each file reads on its own (say the group ran out of memory): the error names the
    # group and quotes DuckDB instead of letting the raw DuckDB error through.
    source, files, layout = _good_group(landing)
    error = duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block\nmore")

    problem = diagnose_read_error(source, files, layout, error)

    message = str(problem)
    assert message.startswith("Landing files transactions/a.csv, transactions/b.csv could not ")
    assert "(Out of Memory Error: could not allocate block)" in message
    assert "more" not in message
    assert message.endswith("Nothing was loaded in this run.")
