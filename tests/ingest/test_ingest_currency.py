"""Currency at ingest (SPEC §4): the reporting currency needs no rate; other currencies need
a rate of their own and of the reporting currency on or before the date, from the seed or
landed ``currency_rates/`` files; rows that waited for rates (or a channel) load once it
arrives."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ingest_helpers import LOADED_AT, Landing, row

from orchestration.settings import SEEDS_DIR

LATER = datetime(2026, 6, 2, 12, 0, tzinfo=LOADED_AT.tzinfo)


def _use_reporting_currency(landing: Landing, currency: str) -> None:
    landing.settings = dataclasses.replace(landing.settings, currency=currency)


def _rates(landing: Landing, name: str, *rates: tuple[str, str, str]) -> None:
    landing.write(
        "currency_rates",
        name,
        [row("currency_rates", rate_date=d, currency=c, value_in_base=v) for d, c, v in rates],
    )


def _reconciliation(landing: Landing) -> list[tuple]:
    return landing.query(
        "select file_name, rows_read, rows_loaded, rows_quarantined, rows_parked, "
        "rows_duplicate, reconciles from ingest.file_reconciliation "
        "where source not in ('contacts') order by file_id"
    )


def test_reporting_currency_amounts_load_at_any_date_without_rates(landing: Landing) -> None:
    # Shipped rates start in 2022; a 1997 history in the reporting currency needs none.
    landing.contacts("C1")
    landing.write(
        "transactions",
        "t.csv",
        [
            row("transactions", transaction_id="T1", occurred_at="1997-01-01T00:00:00Z"),
            row("transactions", transaction_id="T2", occurred_at="1997-06-30T23:59:59-05:00"),
            row("transactions", transaction_id="T3", occurred_at="1997-03-01T10:00:00Z")
            | {"currency": "GBP"},
        ],
    )
    landing.write(
        "campaigns", "k.csv", [row("campaigns", starts_on="1997-02-01", ends_on="1997-02-28")]
    )

    landing.run()

    assert landing.query("select transaction_id from raw.transactions order by 1") == [
        ("T1",),
        ("T2",),
    ]
    assert landing.scalar("select count(*) from raw.campaigns") == 1
    assert landing.quarantined() == [("transactions", "t.csv", 3, "no_rate_for_date")]


def test_a_reporting_currency_missing_from_the_rates_converts_only_itself(
    landing: Landing,
) -> None:
    _use_reporting_currency(landing, "ISK")
    landing.contacts("C1")
    landing.write(
        "transactions",
        "t.csv",
        [
            row("transactions", transaction_id="T1", currency="ISK"),
            row("transactions", transaction_id="T2", currency="USD"),
        ],
    )

    landing.run()

    assert landing.query("select transaction_id from raw.transactions") == [("T1",)]
    assert landing.query("select row_number, reason, detail from ingest.quarantine") == [
        (
            2,
            "no_rate_for_date",
            "the reporting currency ISK has no rates at all. Land a currency_rates file that "
            "covers this date: the row is re-checked on every run",
        )
    ]


def test_a_cross_rate_needs_the_reporting_currency_rate_too(landing: Landing) -> None:
    _use_reporting_currency(landing, "EUR")
    landing.contacts("C1")
    _rates(landing, "usd_1997.csv", ("1997-01-02", "USD", "0.8562"))
    landing.write(
        "transactions", "t.csv", [row("transactions", occurred_at="1997-06-02T10:00:00Z")]
    )

    landing.run()

    assert landing.query("select reason, detail from ingest.quarantine") == [
        (
            "no_rate_for_date",
            "no EUR rate on or before 1997-06-02 (the date of occurred_at in UTC) to convert to "
            "EUR; EUR rates start on 2022-01-03. Land a currency_rates file that covers this "
            "date: the row is re-checked on every run",
        )
    ]


def test_rates_landed_in_the_same_run_convert_that_run(landing: Landing) -> None:
    _use_reporting_currency(landing, "EUR")
    landing.contacts("C1")
    _rates(landing, "r.csv", ("1997-01-02", "USD", "0.8562"), ("1997-01-02", "EUR", "1"))
    landing.write(
        "transactions", "t.csv", [row("transactions", occurred_at="1997-06-02T10:00:00Z")]
    )

    summary = landing.run()

    assert landing.scalar("select count(*) from raw.transactions") == 1
    assert landing.quarantined() == []
    assert landing.query(
        "select rate_date, currency, value_in_base from raw.currency_rates order by currency"
    ) == [
        (date(1997, 1, 2), "EUR", Decimal("1.00000000")),
        (date(1997, 1, 2), "USD", Decimal("0.85620000")),
    ]
    assert [s.loaded for s in summary.sources if s.source == "currency_rates"] == [2]


def test_quarantined_rows_load_on_the_run_after_their_rates_land(landing: Landing) -> None:
    _use_reporting_currency(landing, "EUR")
    landing.contacts("C1")
    landing.write(
        "transactions",
        "t_1997.csv",
        [
            row("transactions", transaction_id="T1", occurred_at="1997-03-01T10:00:00Z"),
            row("transactions", transaction_id="T2", occurred_at="1997-04-01T10:00:00Z"),
        ],
    )
    landing.run()
    assert landing.quarantined() == [
        ("transactions", "t_1997.csv", 1, "no_rate_for_date"),
        ("transactions", "t_1997.csv", 2, "no_rate_for_date"),
    ]

    _rates(landing, "rates_1997.csv", ("1997-01-02", "USD", "0.8562"), ("1997-01-02", "EUR", "1"))
    summary = landing.run(LATER)

    assert landing.quarantined() == []
    assert landing.query(
        "select transaction_id, _row_number, _loaded_at from raw.transactions order by 1"
    ) == [
        ("T1", 1, LATER.replace(tzinfo=None)),
        ("T2", 2, LATER.replace(tzinfo=None)),
    ]
    assert landing.query(
        "select file_name, row_number, reason, released_to from ingest.quarantine_released "
        "order by row_number"
    ) == [
        ("t_1997.csv", 1, "no_rate_for_date", "load"),
        ("t_1997.csv", 2, "no_rate_for_date", "load"),
    ]
    assert [s.released for s in summary.sources if s.source == "transactions"] == [2]
    assert "2 previously quarantined rows passed" in summary.format()
    assert _reconciliation(landing) == [
        ("t_1997.csv", 2, 2, 0, 0, 0, True),
        ("rates_1997.csv", 2, 2, 0, 0, 0, True),
    ]


def test_a_rechecked_row_that_still_fails_gets_the_detail_of_this_run(landing: Landing) -> None:
    _use_reporting_currency(landing, "EUR")
    landing.contacts("C1")
    landing.write(
        "transactions", "t.csv", [row("transactions", occurred_at="1997-03-01T10:00:00Z")]
    )
    landing.run()
    (before,) = landing.query("select detail from ingest.quarantine")[0]
    assert before.startswith("no USD rate on or before 1997-03-01")

    _rates(landing, "usd_only.csv", ("1997-01-02", "USD", "0.8562"))
    landing.run(LATER)

    (after,) = landing.query("select detail from ingest.quarantine")[0]
    assert after.startswith("no EUR rate on or before 1997-03-01")
    assert landing.scalar("select count(*) from ingest.quarantine_released") == 0


def test_released_rows_take_the_path_of_new_rows(landing: Landing) -> None:
    """Same key twice while waiting: the first loads, an identical second is a duplicate;
    a key loaded meanwhile with other content makes the waiting row a conflict; a row of an
    unknown contact is parked."""
    _use_reporting_currency(landing, "EUR")
    landing.contacts("C1")
    waiting = [
        row("transactions", transaction_id="T1", occurred_at="1997-03-01T10:00:00Z"),
        row("transactions", transaction_id="T2", occurred_at="1997-03-02T10:00:00Z"),
        row(
            "transactions", transaction_id="T3", contact_id="C9", occurred_at="1997-03-03T10:00:00Z"
        ),
    ]
    landing.write("transactions", "a.csv", waiting)
    landing.write("transactions", "b.csv", [waiting[0]])
    landing.write("transactions", "c.csv", [row("transactions", transaction_id="T2")])
    landing.run()
    assert landing.quarantined() == [
        ("transactions", "a.csv", 1, "no_rate_for_date"),
        ("transactions", "a.csv", 2, "no_rate_for_date"),
        ("transactions", "a.csv", 3, "no_rate_for_date"),
        ("transactions", "b.csv", 1, "no_rate_for_date"),
    ]

    _rates(landing, "rates.csv", ("1997-01-02", "USD", "0.8562"), ("1997-01-02", "EUR", "1"))
    landing.run(LATER)

    assert landing.query(
        "select transaction_id, _file_id, _row_number from raw.transactions order by 1"
    ) == [("T1", 2, 1), ("T2", 4, 1)]
    assert landing.query("select transaction_id from ingest.parked_transactions") == [("T3",)]
    assert landing.query("select file_name, row_number, reason from ingest.quarantine") == [
        ("a.csv", 2, "conflicting_duplicate")
    ]
    assert landing.query(
        "select file_name, row_number, released_to from ingest.quarantine_released "
        "order by file_name, row_number"
    ) == [("a.csv", 1, "load"), ("a.csv", 3, "park"), ("b.csv", 1, "duplicate")]
    assert _reconciliation(landing) == [
        ("a.csv", 3, 1, 1, 1, 0, True),
        ("b.csv", 1, 0, 0, 0, 1, True),
        ("c.csv", 1, 1, 0, 0, 0, True),
        ("rates.csv", 2, 2, 0, 0, 0, True),
    ]


def test_landed_rates_follow_the_row_rules(landing: Landing) -> None:
    _rates(
        landing,
        "r1.csv",
        ("1997-01-02", "USD", "0.8562"),
        ("1997-01-02", "US", "0.8562"),
        ("1997-01-03", "USD", "-1"),
        ("1997-01-06", "USD", ""),
    )
    _rates(landing, "r2.csv", ("1997-01-02", "USD", "0.9"))

    landing.run()

    assert landing.quarantined() == [
        ("currency_rates", "r1.csv", 2, "unknown_currency"),
        ("currency_rates", "r1.csv", 3, "non_positive_rate"),
        ("currency_rates", "r1.csv", 4, "missing_amount"),
        ("currency_rates", "r2.csv", 1, "conflicting_duplicate"),
    ]
    assert landing.scalar("select count(*) from raw.currency_rates") == 1


def test_touches_wait_for_a_channel_added_to_the_seed(
    landing: Landing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    monkeypatch.setattr("orchestration.ingest.load.SEEDS_DIR", seeds)
    landing.contacts("C1")
    landing.write("recall_touches", "r.csv", [row("recall_touches", channel="fax")])
    landing.run()
    assert landing.quarantined() == [("recall_touches", "r.csv", 1, "unknown_channel")]

    with (seeds / "channels.csv").open("a", encoding="utf-8") as handle:
        handle.write("fax,Fax,true\n")
    landing.run(LATER)

    assert landing.query("select touch_id, channel from raw.recall_touches") == [("R1", "fax")]
    assert landing.quarantined() == []
