"""Landing files: discovery, explicit-schema reading (CSV and Parquet), row numbers, and
files that cannot be read at all (they fail the run and nothing loads)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import Landing, csv_text, row

from orchestration.contract import SOURCES_BY_NAME
from orchestration.ingest import LandingFileError

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
    assert "Line: 4" in message
    assert_nothing_loaded(landing)


def test_unreadable_parquet_fails_the_run(landing: Landing) -> None:
    landing.write_bytes("transactions", "t.parquet", b"PAR1 this is not parquet")

    with pytest.raises(
        LandingFileError, match=re.escape("transactions/t.parquet is not a readable Parquet")
    ):
        landing.run()


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
    # Pad the second row's name so its 'é' (two bytes) straddles the 1 MiB read boundary.
    prefix = (header + first + "C2,").encode()
    padding = "x" * ((1 << 20) - len(prefix) - 1)
    second = csv_text(
        [row("contacts", contact_id="C2", full_name=padding + "é")], list(GOOD_CONTACT_COLUMNS)
    ).split("\n", 1)[1]
    content = (header + first + second).encode()
    assert content[(1 << 20) - 1 : (1 << 20) + 1] == "é".encode()
    landing.write_bytes("contacts", "crm.csv", content)

    landing.run()

    assert landing.query("select contact_id, right(full_name, 3) from raw.contacts order by 1") == [
        ("C1", "ñez"),
        ("C2", "xxé"),
    ]
