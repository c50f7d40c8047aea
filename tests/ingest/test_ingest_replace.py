"""Corrections: ``recall replace`` retires a loaded file's rows and loads its replacement
through the same rules (SPEC §3 "Corrections")."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from ingest_helpers import LOADED_AT, Landing, row

from orchestration.ingest import ingest_landing
from orchestration.ingest.replace import Replacement, ReplacementError, prepare_replacement

MANIFEST = "select relative_path, status, message from ingest.load_manifest order by file_id"
NEXT_DAY = LOADED_AT + timedelta(days=1)


def _replace(landing: Landing, loaded: str, new: str, loaded_at=NEXT_DAY):
    return ingest_landing(
        landing.settings, loaded_at=loaded_at, replacement=Replacement(loaded, new)
    )


def _loaded_month(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write(
        "transactions",
        "2026-01.csv",
        [
            row("transactions", amount="10"),
            row("transactions", transaction_id="T2", amount="-5"),  # quarantined
            row("transactions", transaction_id="T3", contact_id="C9"),  # parked
        ],
    )
    landing.run()


def test_a_replacement_under_a_new_name_retires_every_row_of_the_loaded_file(
    landing: Landing,
) -> None:
    _loaded_month(landing)
    landing.write(
        "transactions",
        "2026-01-v2.csv",
        [row("transactions", amount="12"), row("transactions", transaction_id="T2", amount="5")],
    )

    summary = _replace(landing, "transactions/2026-01.csv", "transactions/2026-01-v2.csv")

    assert landing.query("select transaction_id, amount from raw.transactions order by 1") == [
        ("T1", Decimal("12.0000")),
        ("T2", Decimal("5.0000")),
    ]
    assert landing.scalar("select count(*) from ingest.quarantine") == 0
    assert landing.scalar("select count(*) from ingest.parked_transactions") == 0
    assert landing.query(
        "select file_id, row_number, place, replaced_by_file_id from ingest.retired_rows "
        "order by row_number"
    ) == [(2, 1, "loaded", 3), (2, 2, "quarantined", 3), (2, 3, "parked", 3)]
    (record,) = landing.query("select record from ingest.retired_rows where place = 'loaded'")[0]
    assert json.loads(record)["amount"] == 10.0
    manifest = landing.query(MANIFEST)
    assert [m[:2] for m in manifest] == [
        ("contacts/contacts_001.csv", "loaded"),
        ("transactions/2026-01.csv", "replaced"),
        ("transactions/2026-01-v2.csv", "loaded"),
    ]
    assert manifest[1][2] == (
        "replaced by transactions/2026-01-v2.csv (file_id 3) on 2026-06-02 12:00 UTC with "
        "recall replace; its 3 rows are kept in ingest.retired_rows"
    )
    assert manifest[2][2] == "replaces transactions/2026-01.csv (file_id 2)"
    assert [(f.file, f.status) for f in summary.replaced_files] == [
        ("transactions/2026-01.csv", "replaced")
    ]
    assert "1 file replaced." in summary.format()
    assert landing.query(
        "select relative_path, reconciles from ingest.file_reconciliation order by file_id"
    ) == [("contacts/contacts_001.csv", True), ("transactions/2026-01-v2.csv", True)]


def test_the_replaced_file_left_in_the_landing_directory_is_skipped_by_later_runs(
    landing: Landing,
) -> None:
    _loaded_month(landing)
    landing.write("transactions", "2026-01-v2.csv", [row("transactions", amount="12")])
    _replace(landing, "transactions/2026-01.csv", "transactions/2026-01-v2.csv")

    summary = landing.run(NEXT_DAY + timedelta(days=1))

    assert summary.loaded_files == ()
    assert summary.retired_files == ("transactions/2026-01.csv",)
    assert landing.query("select transaction_id, amount from raw.transactions") == [
        ("T1", Decimal("12.0000"))
    ]


def test_a_copy_of_the_replaced_file_under_another_name_stays_retired(landing: Landing) -> None:
    _loaded_month(landing)
    original = (landing.dir / "transactions" / "2026-01.csv").read_bytes()
    landing.write("transactions", "2026-01-v2.csv", [row("transactions", amount="12")])
    _replace(landing, "transactions/2026-01.csv", "transactions/2026-01-v2.csv")
    landing.write_bytes("transactions", "2026-01-resend.csv", original)

    summary = landing.run(NEXT_DAY + timedelta(days=1))

    assert summary.loaded_files == ()
    assert summary.retired_files == ("transactions/2026-01-resend.csv", "transactions/2026-01.csv")
    assert landing.query("select transaction_id, amount from raw.transactions") == [
        ("T1", Decimal("12.0000"))
    ]


def test_a_replacement_identical_to_the_file_it_replaces_is_refused(landing: Landing) -> None:
    _loaded_month(landing)
    original = (landing.dir / "transactions" / "2026-01.csv").read_bytes()
    landing.write_bytes("transactions", "2026-01-again.csv", original)

    with pytest.raises(ReplacementError, match=r"identical to transactions/2026-01\.csv, the file"):
        _replace(landing, "transactions/2026-01.csv", "transactions/2026-01-again.csv")


def test_a_corrected_file_put_over_the_loaded_one_replaces_it_under_the_same_name(
    landing: Landing,
) -> None:
    _loaded_month(landing)
    landing.write("transactions", "2026-01.csv", [row("transactions", amount="30")])
    rejected = landing.run(NEXT_DAY)
    (warning,) = rejected.warnings
    assert "run: recall replace transactions/2026-01.csv transactions/2026-01.csv" in warning

    _replace(landing, "transactions/2026-01.csv", "transactions/2026-01.csv", NEXT_DAY)
    again = landing.run(NEXT_DAY + timedelta(days=1))

    assert landing.query("select transaction_id, amount from raw.transactions") == [
        ("T1", Decimal("30.0000"))
    ]
    assert [m[:2] for m in landing.query(MANIFEST)] == [
        ("contacts/contacts_001.csv", "loaded"),
        ("transactions/2026-01.csv", "replaced"),
        ("transactions/2026-01.csv", "changed_rejected"),
        ("transactions/2026-01.csv", "loaded"),
    ]
    assert again.loaded_files == () and again.changed_files == ()


def test_a_conflicting_duplicate_says_to_use_recall_replace(landing: Landing) -> None:
    _loaded_month(landing)
    landing.write("transactions", "2026-01-fix.csv", [row("transactions", amount="11")])

    landing.run(NEXT_DAY)

    (detail,) = landing.query(
        "select detail from ingest.quarantine where reason = 'conflicting_duplicate'"
    )[0]
    assert detail.endswith(
        "the first occurrence wins. To correct a delivered file, use recall replace"
    )


def test_a_replacement_identical_to_a_loaded_file_is_refused(landing: Landing) -> None:
    _loaded_month(landing)
    landing.write("transactions", "2026-02.csv", [row("transactions", transaction_id="T9")])
    landing.run(NEXT_DAY)
    landing.write("transactions", "copy.csv", [row("transactions", transaction_id="T9")])

    with pytest.raises(ReplacementError, match=r"identical to transactions/2026-02\.csv"):
        _replace(landing, "transactions/2026-01.csv", "transactions/copy.csv")


def test_prepare_replacement_copies_an_outside_file_into_the_loaded_files_source_folder(
    landing: Landing, tmp_path
) -> None:
    _loaded_month(landing)
    outside = tmp_path / "delivery" / "2026-01-fixed.csv"
    outside.parent.mkdir()
    outside.write_text("transaction_id\n", encoding="utf-8")

    replacement = prepare_replacement(
        landing.settings.warehouse_path, landing.dir, "transactions/2026-01.csv", outside
    )

    copy = landing.dir / "transactions" / "2026-01-fixed.csv"
    assert replacement == Replacement(
        "transactions/2026-01.csv", "transactions/2026-01-fixed.csv", copied_to=copy
    )
    assert copy.read_bytes() == outside.read_bytes()


@pytest.mark.parametrize(
    ("loaded", "new", "message"),
    [
        (
            "transactions/2026-02.csv",
            "transactions/2026-01.csv",
            "transactions/2026-02.csv is not a loaded landing file, so it cannot be replaced "
            r"\(ingest.load_manifest lists the loaded files\). Loaded transactions files: "
            "transactions/2026-01.csv",
        ),
        (
            "transactions/2026-01.csv",
            "transactions/missing.csv",
            "transactions/missing.csv does not exist.",
        ),
        (
            "transactions/2026-01.csv",
            "contacts/contacts_001.csv",
            "The replacement contacts/contacts_001.csv must sit directly in transactions/",
        ),
        (
            "transactions/2026-01.csv",
            "transactions/2026-01.csv",
            "2026-01.csv is identical to the loaded transactions/2026-01.csv: there is nothing",
        ),
        (
            "elsewhere/2026-01.csv",
            "transactions/2026-01.csv",
            "elsewhere/2026-01.csv is not a file of the landing directory",
        ),
    ],
)
def test_prepare_replacement_refuses_what_it_cannot_act_on(
    landing: Landing, loaded: str, new: str, message: str, monkeypatch
) -> None:
    _loaded_month(landing)
    monkeypatch.chdir(landing.dir.parent)

    with pytest.raises(ReplacementError, match=message):
        prepare_replacement(landing.settings.warehouse_path, landing.dir, loaded, landing.dir / new)
