"""Load behaviour across files and runs: duplicates, first occurrence wins, files load
once, changed files are never merged, parked rows wait for their contact, and every
file's counts reconcile."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
from ingest_helpers import GOOD_ROWS, LOADED_AT, Landing, row

from orchestration.contract import REASONS, Source
from orchestration.ingest import LandingFileError, ingest_landing
from orchestration.ingest import load as ingest_load
from orchestration.ingest.rules import Rule

MANIFEST = (
    "select relative_path, status, rows_read, rows_loaded, rows_quarantined, rows_parked, "
    "rows_duplicate from ingest.load_manifest order by file_id"
)


def test_exact_duplicates_load_once_and_are_counted(landing: Landing) -> None:
    landing.contacts("C1")
    same = row("transactions")
    # Equal after parsing: other offset for the same instant, other case and spacing.
    same_parsed = row(
        "transactions", occurred_at="2026-01-15T05:00:00-05:00", kind=" PURCHASE", amount="25"
    )
    landing.write("transactions", "a.csv", [same, same, row("transactions", transaction_id="T2")])
    landing.write("transactions", "b.csv", [same_parsed])

    summary = landing.run()

    assert landing.scalar("select count(*) from raw.transactions") == 2
    assert landing.query(MANIFEST)[1:] == [
        ("transactions/a.csv", "loaded", 3, 2, 0, 0, 1),
        ("transactions/b.csv", "loaded", 1, 0, 0, 0, 1),
    ]
    assert summary.total("duplicates") == 2
    assert landing.quarantined() == []


def test_exact_duplicate_of_a_row_loaded_in_an_earlier_run_is_counted(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write("transactions", "a.csv", [row("transactions")])
    landing.run()
    landing.write(
        "transactions", "b.csv", [row("transactions"), row("transactions", transaction_id="T2")]
    )

    summary = landing.run(LOADED_AT + timedelta(days=1))

    assert [(f.file, f.loaded, f.duplicates) for f in summary.loaded_files] == [
        ("transactions/b.csv", 1, 1)
    ]
    assert landing.scalar("select count(*) from raw.transactions") == 2


def test_first_occurrence_in_file_name_order_wins(landing: Landing) -> None:
    landing.contacts("C1")
    # Written first, but sorts after a.csv: a.csv's version is the first occurrence.
    landing.write("transactions", "b.csv", [row("transactions", amount="20")])
    landing.write("transactions", "a.csv", [row("transactions", amount="10")])

    landing.run()

    assert landing.query("select amount, _row_number from raw.transactions") == [
        (Decimal("10.0000"), 1)
    ]
    assert landing.quarantined() == [("transactions", "b.csv", 1, "conflicting_duplicate")]
    (detail,) = landing.query("select detail from ingest.quarantine")[0]
    assert "(kept: transactions/a.csv row 1)" in detail


def test_a_key_loaded_in_an_earlier_run_keeps_its_first_content(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write("transactions", "a.csv", [row("transactions", amount="10")])
    landing.run()
    landing.write("transactions", "b.csv", [row("transactions", amount="11")])

    landing.run(LOADED_AT + timedelta(days=1))

    assert landing.query("select amount from raw.transactions") == [(Decimal("10.0000"),)]
    assert landing.query("select file_name, row_number, reason, detail from ingest.quarantine") == [
        (
            "b.csv",
            1,
            "conflicting_duplicate",
            "transaction_id 'T1' was already loaded with different content "
            "(kept: transactions/a.csv row 1); the first occurrence wins. To correct a "
            "delivered file, use recall replace",
        )
    ]
    (record,) = landing.query("select record from ingest.quarantine")[0]
    assert json.loads(record)["amount"] == "11"


def test_contact_versions_load_and_a_version_key_conflict_is_quarantined(landing: Landing) -> None:
    landing.write(
        "contacts",
        "crm.csv",
        [
            row("contacts"),
            row("contacts", region="south", updated_at="2025-06-01T00:00:00Z"),
            row("contacts", region="west", updated_at="2025-06-01T00:00:00+00:00"),
        ],
    )

    landing.run()

    assert landing.query("select region from raw.contacts order by updated_at") == [
        ("north",),
        ("south",),
    ]
    assert landing.quarantined() == [("contacts", "crm.csv", 3, "conflicting_duplicate")]
    (detail,) = landing.query("select detail from ingest.quarantine")[0]
    assert detail.startswith("contact_id 'C1', updated_at '2025-06-01 00:00:00' appeared earlier")


def test_an_identical_file_loads_once_under_any_name(landing: Landing) -> None:
    landing.contacts("C1")
    original = landing.write("transactions", "2026-01.csv", [row("transactions")])
    landing.run()

    again = landing.run(LOADED_AT + timedelta(days=1))
    assert again.loaded_files == ()
    assert again.unchanged_files == 2

    landing.write_bytes("transactions", "2026-01-copy.csv", original.read_bytes())
    for day in (2, 3):
        summary = landing.run(LOADED_AT + timedelta(days=day))
        assert [(f.file, f.status) for f in summary.skipped_redeliveries] == [
            ("transactions/2026-01-copy.csv", "redelivered")
        ]
        assert (
            "Skipped re-delivery: transactions/2026-01-copy.csv is identical to "
            "transactions/2026-01.csv" in summary.format()
        )

    assert landing.scalar("select count(*) from raw.transactions") == 1
    assert landing.query(MANIFEST) == [
        ("contacts/contacts_001.csv", "loaded", 1, 1, 0, 0, 0),
        ("transactions/2026-01.csv", "loaded", 1, 1, 0, 0, 0),
        ("transactions/2026-01-copy.csv", "redelivered", 0, 0, 0, 0, 0),
    ]


def test_two_identical_new_files_in_one_delivery_load_once(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write("transactions", "a.csv", [row("transactions")])
    landing.write("transactions", "b.csv", [row("transactions")])

    summary = landing.run()

    assert [(f.file, f.status) for f in summary.files] == [
        ("contacts/contacts_001.csv", "loaded"),
        ("transactions/a.csv", "loaded"),
        ("transactions/b.csv", "redelivered"),
    ]
    assert landing.scalar("select count(*) from raw.transactions") == 1


def test_a_changed_file_under_a_loaded_name_is_rejected_and_reported_every_run(
    landing: Landing,
) -> None:
    landing.contacts("C1")
    landing.write("transactions", "2026-01.csv", [row("transactions")])
    landing.run()
    landing.write(
        "transactions",
        "2026-01.csv",
        [row("transactions", amount="30"), row("transactions", transaction_id="T2")],
    )

    for day in (1, 2):
        summary = landing.run(LOADED_AT + timedelta(days=day))
        assert [(f.file, f.status) for f in summary.changed_files] == [
            ("transactions/2026-01.csv", "changed_rejected")
        ]
        (warning,) = summary.warnings
        assert warning.startswith("transactions/2026-01.csv differs from the file of the same name")
        assert warning.endswith(
            "it was not merged. To load it in place of the loaded file, run: recall replace "
            "transactions/2026-01.csv transactions/2026-01.csv (or remove it from the landing "
            "directory)."
        )
        assert "WARNING: transactions/2026-01.csv differs" in summary.format()

    assert landing.query("select transaction_id, amount from raw.transactions") == [
        ("T1", Decimal("25.0000"))
    ]
    assert [r[:2] for r in landing.query(MANIFEST)] == [
        ("contacts/contacts_001.csv", "loaded"),
        ("transactions/2026-01.csv", "loaded"),
        ("transactions/2026-01.csv", "changed_rejected"),
    ]


def test_a_row_with_an_unknown_contact_is_parked_until_the_contact_arrives(
    landing: Landing,
) -> None:
    landing.contacts("C1")
    landing.write(
        "transactions",
        "t.csv",
        [row("transactions"), row("transactions", transaction_id="T2", contact_id="C9")],
    )
    first = landing.run()
    assert first.parked_by_source == {"transactions": 1, "recall_touches": 0}
    assert landing.query("select transaction_id from ingest.parked_transactions") == [("T2",)]

    waiting = landing.run(LOADED_AT + timedelta(days=2, hours=12))
    assert waiting.parked_rows == 1
    assert waiting.oldest_parked_days == 2.5
    assert (
        "Parked, waiting for their contact: 1 row (transactions 1); oldest parked 2.5 days ago"
        in waiting.format()
    )

    landing.contacts("C9", name="contacts_002.csv")
    arrived = landing.run(LOADED_AT + timedelta(days=3))

    assert arrived.parked_rows == 0
    assert arrived.oldest_parked_days is None
    assert {s.source: s.unparked for s in arrived.sources}["transactions"] == 1
    assert landing.query(
        "select transaction_id, _file_id, _row_number, _loaded_at from raw.transactions order by 1"
    ) == [
        ("T1", 2, 1, LOADED_AT.replace(tzinfo=None)),
        ("T2", 2, 2, (LOADED_AT + timedelta(days=3)).replace(tzinfo=None)),
    ]
    assert landing.query(
        "select rows_read, rows_loaded, rows_parked, reconciles from ingest.file_reconciliation "
        "where file_name = 't.csv'"
    ) == [(2, 2, 0, True)]


def test_a_touch_for_an_unknown_contact_is_parked_and_its_key_is_taken(landing: Landing) -> None:
    landing.write("recall_touches", "r1.csv", [row("recall_touches", contact_id="C7")])
    landing.run()
    landing.write("recall_touches", "r2.csv", [row("recall_touches", contact_id="C7", cost="0.10")])

    landing.run(LOADED_AT + timedelta(days=1))

    assert landing.quarantined() == [("recall_touches", "r2.csv", 1, "conflicting_duplicate")]
    (detail,) = landing.query("select detail from ingest.quarantine")[0]
    assert detail.startswith("touch_id 'R1' is already parked with different content")


def test_counts_reconcile_for_every_file_and_the_view_agrees(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write(
        "transactions",
        "a.csv",
        [
            row("transactions"),  # loaded
            row("transactions"),  # exact duplicate
            row("transactions", amount="1"),  # conflicting duplicate
            row("transactions", transaction_id="T2", contact_id="C9"),  # parked
            row("transactions", transaction_id="T3", currency="XYZ"),  # quarantined
            row("transactions", transaction_id="T4"),  # loaded
        ],
    )
    landing.write("transactions", "b.csv", [row("transactions", transaction_id="T5", kind="gift")])

    summary = landing.run()

    assert [
        (f.file, f.rows_read, f.loaded, f.quarantined, f.parked, f.duplicates, f.reconciles)
        for f in summary.loaded_files
    ] == [
        ("contacts/contacts_001.csv", 1, 1, 0, 0, 0, True),
        ("transactions/a.csv", 6, 2, 2, 1, 1, True),
        ("transactions/b.csv", 1, 0, 1, 0, 0, True),
    ]
    view = landing.query(
        "select relative_path, rows_read, rows_loaded, rows_quarantined, rows_parked, "
        "rows_duplicate, reconciles from ingest.file_reconciliation order by file_id"
    )
    assert view == [r[:1] + r[2:] + (True,) for r in landing.query(MANIFEST)]
    assert summary.total("rows_read") == 8


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_a_missing_or_empty_landing_directory_fails_and_touches_nothing(
    landing: Landing, state: str
) -> None:
    if state == "empty":
        (landing.dir / "transactions").mkdir(parents=True)

    with pytest.raises(LandingFileError) as error:
        landing.run()

    problem = "does not exist" if state == "missing" else "holds no files"
    assert str(error.value).startswith(f"The landing directory {landing.dir} {problem}: ")
    assert str(error.value).endswith("Nothing was loaded.")
    assert not landing.settings.warehouse_path.exists()


def test_summary_metadata_is_flat_json_numbers(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write(
        "transactions",
        "t.csv",
        [row("transactions"), row("transactions", transaction_id="T2", kind="gift")],
    )

    meta = landing.run().as_metadata()

    assert json.loads(json.dumps(meta)) == meta
    assert all(isinstance(v, int | float) for v in meta.values())
    assert meta["files_loaded"] == 2
    assert meta["rows_read"] == 3
    assert meta["rows_quarantined"] == 1
    assert meta["transactions.rows_quarantined"] == 1
    assert meta["transactions.rows_loaded"] == 1
    assert meta["contacts.files_loaded"] == 1
    assert meta["quarantined_unknown_kind"] == 1
    assert {f"quarantined_{r}" for r in REASONS} <= set(meta)
    assert meta["oldest_parked_days"] == 0.0


def test_format_gives_a_short_run_log(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write(
        "transactions",
        "t.csv",
        [row("transactions"), row("transactions", transaction_id="T2", kind="gift")],
    )

    text = landing.run().format()

    assert text.splitlines() == [
        "Ingest at 2026-06-01 12:00:00 UTC: 2 new files loaded, 0 already loaded, "
        "0 re-deliveries skipped, 0 changed files rejected.",
        "  contacts: 1 file, 1 row read -> 1 loaded, 0 quarantined, 0 parked, 0 exact duplicates",
        "  transactions: 1 file, 2 rows read -> 1 loaded, 1 quarantined, 0 parked, "
        "0 exact duplicates",
        "  Quarantined by reason: unknown_kind 1 (see ingest.quarantine)",
    ]


def test_the_warehouse_is_closed_and_checkpointed_after_a_run(landing: Landing) -> None:
    landing.contacts("C1")
    landing.run()

    assert not landing.settings.warehouse_path.with_name("warehouse.duckdb.wal").exists()
    with duckdb.connect(str(landing.settings.warehouse_path)) as con:  # a writer can open it
        assert con.execute("select count(*) from raw.contacts").fetchone() == (1,)


def test_loaded_at_defaults_to_now(landing: Landing) -> None:
    landing.contacts("C1")

    before = datetime.now(UTC).replace(tzinfo=None)
    summary = ingest_landing(landing.settings)
    after = datetime.now(UTC).replace(tzinfo=None)

    assert before <= summary.loaded_at <= after
    assert landing.scalar("select _loaded_at from raw.contacts") == summary.loaded_at


def test_files_read_in_several_scans_keep_order_and_records(
    landing: Landing, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One scan per two files, and a layout change in the middle: the batch spans scans.
    monkeypatch.setattr(ingest_load, "SCAN_GROUP_FILES", 2)
    landing.contacts("C1")
    columns = list(reversed(GOOD_ROWS["transactions"]))
    for n in range(1, 6):
        rows = [
            row("transactions", transaction_id=f"T{n}"),
            row("transactions", transaction_id="T1", amount=str(n)),  # T1 first in file 1
            row("transactions", transaction_id=f"X{n}", kind="gift"),
        ]
        landing.write("transactions", f"f{n}.csv", rows, columns=columns if n == 3 else None)

    landing.run()

    assert landing.query(
        "select transaction_id, amount from raw.transactions where transaction_id = 'T1'"
    ) == [("T1", Decimal("25.0000"))]
    assert landing.quarantined() == [
        ("transactions", f"f{n}.csv", r, reason)
        for n in range(1, 6)
        for r, reason in ((2, "conflicting_duplicate"), (3, "unknown_kind"))
    ]
    records = landing.query(
        "select file_name, record from ingest.quarantine where reason = 'conflicting_duplicate' "
        "order by file_name"
    )
    assert [(name, json.loads(record)["amount"]) for name, record in records] == [
        (f"f{n}.csv", str(n)) for n in range(1, 6)
    ]
    assert landing.scalar("select count(*) from raw.transactions") == 5


def test_a_failure_while_writing_loads_nothing(
    landing: Landing, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing.contacts("C1")
    landing.write("transactions", "t.csv", [row("transactions")])
    write = ingest_load._write

    def fail_on_transactions(
        con: duckdb.DuckDBPyConnection, source: Source, rules: list[Rule], run_at: datetime
    ) -> None:
        if source.name == "transactions":
            raise RuntimeError("disk full")
        write(con, source, rules, run_at)

    monkeypatch.setattr(ingest_load, "_write", fail_on_transactions)

    with pytest.raises(RuntimeError, match="disk full"):
        landing.run()

    assert landing.scalar("select count(*) from raw.contacts") == 0
    assert landing.scalar("select count(*) from ingest.load_manifest") == 0
    monkeypatch.undo()
    assert [f.file for f in landing.run().loaded_files] == [
        "contacts/contacts_001.csv",
        "transactions/t.csv",
    ]
