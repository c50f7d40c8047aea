"""Row-level rules and parsing: each bad row lands in quarantine with exactly one reason,
its file and its row number; good rows are parsed into typed raw columns."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from decimal import Decimal

import pytest
from ingest_helpers import LOADED_AT, Landing, row

from orchestration.contract import REASONS, SOURCES
from orchestration.ingest.rules import Reference, row_rules
from orchestration.settings import SEEDS_DIR

# (reason, source, overrides of a second row whose key differs from the good first row,
#  a fragment of the human detail)
REASON_CASES = [
    (
        "too_long",
        "contacts",
        {"region": "n" * 10_000},
        "region is 10,000 characters; the limit is 64",
    ),
    ("missing_key", "transactions", {"transaction_id": " "}, "transaction_id is empty"),
    ("missing_required", "transactions", {"kind": ""}, "kind is empty"),
    (
        "unparseable_timestamp",
        "transactions",
        {"occurred_at": "31/01/2026 10:00"},
        "occurred_at '31/01/2026 10:00' is not an ISO 8601 timestamp",
    ),
    (
        "unparseable_date",
        "campaigns",
        {"starts_on": "2026/01/01"},
        "starts_on '2026/01/01' is not a date",
    ),
    (
        "unparseable_amount",
        "transactions",
        {"amount": "12,50"},
        "amount '12,50' is not a number",
    ),
    (
        "invalid_boolean",
        "recall_touches",
        {"delivered": "maybe"},
        "delivered 'maybe' is not true/false",
    ),
    (
        "unknown_kind",
        "transactions",
        {"kind": "sale"},
        "kind 'sale' is not one of purchase, refund",
    ),
    ("unknown_channel", "recall_touches", {"channel": "fax"}, "channel 'fax' is not one of"),
    ("unknown_outcome", "recall_touches", {"outcome": "ghosted"}, "outcome 'ghosted'"),
    ("unknown_offer", "campaigns", {"offer": "bogof"}, "offer 'bogof' is not one of"),
    (
        "unknown_currency",
        "transactions",
        {"currency": "XYZ"},
        "currency 'XYZ' has no rates (seeds/currency_rates.csv, landing currency_rates/) and "
        "is not the reporting currency USD",
    ),
    (
        "no_rate_for_date",
        "transactions",
        {"occurred_at": "2021-06-01T10:00:00Z", "currency": "GBP"},
        "no GBP rate on or before 2021-06-01 (the date of occurred_at in UTC) to convert to "
        "USD; GBP rates start on 2022-01-03. Land a currency_rates file",
    ),
    ("missing_amount", "transactions", {"amount": ""}, "amount is empty"),
    (
        "negative_amount",
        "transactions",
        {"kind": "refund", "amount": "-5.00"},
        "amount '-5.00' is negative",
    ),
    (
        "non_positive_rate",
        "currency_rates",
        {"value_in_base": "0"},
        "value_in_base '0' is not a positive rate",
    ),
    (
        "future_timestamp",
        "transactions",
        {"occurred_at": "2026-06-02T12:00:01Z"},
        "occurred_at '2026-06-02T12:00:01Z' is more than one day after the load time",
    ),
]

# The key column of each source, and the values that give a second and a third row.
KEY_OF = {
    "contacts": ("contact_id", "SECOND", "THIRD"),
    "transactions": ("transaction_id", "SECOND", "THIRD"),
    "recall_touches": ("touch_id", "SECOND", "THIRD"),
    "campaigns": ("campaign_id", "SECOND", "THIRD"),
    "currency_rates": ("rate_date", "1997-01-03", "1997-01-06"),
}


def test_every_reason_code_has_a_case() -> None:
    covered = {case[0] for case in REASON_CASES} | {"conflicting_duplicate"}
    assert covered == set(REASONS)


@pytest.mark.parametrize(
    ("reason", "source", "overrides", "detail"),
    REASON_CASES,
    ids=[case[0] for case in REASON_CASES],
)
def test_bad_row_is_quarantined_with_its_reason_file_and_row_number(
    landing: Landing, reason: str, source: str, overrides: dict[str, str], detail: str
) -> None:
    landing.contacts("C1")
    key, second, third = KEY_OF[source]
    bad = row(source, **{key: second}) | overrides
    landing.write(source, "batch_01.csv", [row(source), bad, row(source, **{key: third})])

    summary = landing.run()

    assert landing.quarantined() == [(source, "batch_01.csv", 2, reason)]
    (shown,) = landing.query("select detail from ingest.quarantine")
    assert detail in shown[0]
    assert landing.scalar(f"select count(*) from raw.{source}") == 2
    assert summary.quarantined_by_reason == {reason: 1}


def test_conflicting_duplicate_is_quarantined_with_the_kept_row_named(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write(
        "transactions",
        "batch_01.csv",
        [
            row("transactions"),
            row("transactions", transaction_id="T2"),
            row("transactions", amount="99"),
        ],
    )

    landing.run()

    assert landing.quarantined() == [("transactions", "batch_01.csv", 3, "conflicting_duplicate")]
    (detail,) = landing.query("select detail from ingest.quarantine")[0]
    assert detail == (
        "transaction_id 'T1' appeared earlier with different content "
        "(kept: transactions/batch_01.csv row 1); the first occurrence wins. To correct a "
        "delivered file, use recall replace"
    )


def test_quarantine_keeps_the_whole_raw_row_as_json(landing: Landing) -> None:
    bad = row("transactions", kind="  Sale ", category="")
    landing.write("transactions", "t.csv", [bad])

    landing.run()

    (record,) = landing.query("select record from ingest.quarantine")[0]
    assert json.loads(record) == {**bad, "category": None}


def test_a_row_breaking_several_rules_gets_the_first_reason_only(landing: Landing) -> None:
    landing.contacts("C1")
    # Unknown kind, unknown currency and a negative amount: unknown_kind comes first.
    landing.write(
        "transactions", "t.csv", [row("transactions", kind="sale", currency="XYZ", amount="-1")]
    )

    landing.run()

    assert landing.quarantined() == [("transactions", "t.csv", 1, "unknown_kind")]


def test_row_rules_run_in_the_order_of_the_contract_reasons() -> None:
    reference = Reference.from_seeds(SEEDS_DIR, "USD")
    for source in SOURCES:
        rules = row_rules(source, reference, "UTC", LOADED_AT.replace(tzinfo=None))
        positions = [REASONS.index(rule.reason) for rule in rules]
        assert positions == sorted(positions), source.name


# (source, column, limit, the value's first character): a value of exactly the limit loads,
# one character more is quarantined.
LENGTH_EDGES = [
    ("transactions", "transaction_id", 64, "T"),
    ("recall_touches", "contact_id", 64, "C"),
    ("contacts", "region", 64, "r"),
    ("contacts", "full_name", 200, "n"),
    ("campaigns", "name", 200, "k"),
]


@pytest.mark.parametrize(
    ("source", "column", "limit", "fill"), LENGTH_EDGES, ids=[e[1] for e in LENGTH_EDGES]
)
def test_text_of_exactly_its_limit_loads_and_one_more_character_is_too_long(
    landing: Landing, source: str, column: str, limit: int, fill: str
) -> None:
    at_limit, over = fill * limit, fill * (limit + 1)
    key, second, _ = KEY_OF[source]
    if source in ("transactions", "recall_touches"):
        # The good row's contact exists, so it loads rather than waits for it.
        landing.contacts(at_limit if column == "contact_id" else "C1")
    if column == key:
        rows = [row(source, **{key: at_limit}), row(source, **{key: over})]
    else:
        rows = [row(source, **{column: at_limit}), row(source, **{key: second, column: over})]
    landing.write(source, "f.csv", rows)

    landing.run()

    assert landing.quarantined() == [(source, "f.csv", 2, "too_long")]
    assert landing.query("select detail from ingest.quarantine") == [
        (f"{column} is {limit + 1} characters; the limit is {limit}",)
    ]
    loaded = landing.query(f"select {column} from raw.{source} where {column} like ?", [fill + "%"])
    assert loaded == [(at_limit,)]


def test_length_counts_characters_after_trimming(landing: Landing) -> None:
    landing.write(
        "contacts",
        "c.csv",
        [
            # 64 characters of two bytes each, with blanks around: within the limit.
            row("contacts", region=" " + "é" * 64 + "\t", full_name="名" * 200),
            row("contacts", contact_id="C2", region="é" * 65),
            row("contacts", contact_id="C3", full_name="名" * 201),
        ],
    )

    landing.run()

    assert landing.quarantined() == [
        ("contacts", "c.csv", 2, "too_long"),
        ("contacts", "c.csv", 3, "too_long"),
    ]
    assert landing.query("select detail from ingest.quarantine order by row_number") == [
        ("region is 65 characters; the limit is 64",),
        ("full_name is 201 characters; the limit is 200",),
    ]
    assert landing.query("select region, full_name from raw.contacts") == [("é" * 64, "名" * 200)]


def test_too_long_comes_before_every_other_reason(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write(
        "transactions",
        "t.csv",
        [
            # An empty key, an unknown kind and currency, a negative amount: too_long wins.
            row(
                "transactions",
                transaction_id="",
                kind="sale",
                currency="XYZ",
                amount="-1",
                category="c" * 65,
            ),
            # Two overlong columns: the first in contract order is named.
            row("transactions", transaction_id="T2", store_or_channel="s" * 70, category="c" * 65),
        ],
    )

    landing.run()

    assert landing.quarantined() == [
        ("transactions", "t.csv", 1, "too_long"),
        ("transactions", "t.csv", 2, "too_long"),
    ]
    assert landing.query("select detail from ingest.quarantine order by row_number") == [
        ("category is 65 characters; the limit is 64",),
        ("store_or_channel is 70 characters; the limit is 64",),
    ]


def test_a_too_long_contact_id_is_quarantined_not_parked(landing: Landing) -> None:
    landing.write("recall_touches", "r.csv", [row("recall_touches", contact_id="C" * 65)])

    landing.run()

    assert landing.quarantined() == [("recall_touches", "r.csv", 1, "too_long")]
    assert landing.scalar("select count(*) from ingest.parked_recall_touches") == 0


def test_email_and_phone_have_no_length_limit(landing: Landing) -> None:
    email = "a" * 300 + "@example.com"
    landing.write("contacts", "c.csv", [row("contacts", email=email, phone="5" * 100)])

    landing.run()

    assert landing.quarantined() == []
    assert landing.query("select email, phone from raw.contacts") == [(email, "5" * 100)]


@pytest.mark.parametrize(
    ("source", "overrides"),
    [
        ("transactions", {"contact_id": ""}),
        ("contacts", {"updated_at": ""}),
        ("recall_touches", {"touch_id": ""}),
        ("campaigns", {"campaign_id": ""}),
    ],
)
def test_empty_key_or_contact_id_is_missing_key(
    landing: Landing, source: str, overrides: dict[str, str]
) -> None:
    landing.write(source, "f.csv", [row(source, **overrides)])

    landing.run()

    assert landing.quarantined() == [(source, "f.csv", 1, "missing_key")]


def test_empty_amount_is_missing_amount_not_missing_required(landing: Landing) -> None:
    landing.write("campaigns", "k.csv", [row("campaigns", fixed_cost="")])
    landing.write("recall_touches", "r.csv", [row("recall_touches", cost=" ")])

    landing.run()

    assert landing.quarantined() == [
        ("campaigns", "k.csv", 1, "missing_amount"),
        ("recall_touches", "r.csv", 1, "missing_amount"),
    ]


def test_timestamp_exactly_one_day_after_load_time_is_not_future(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write(
        "recall_touches",
        "r.csv",
        [
            row("recall_touches", sent_at="2026-06-02T12:00:00Z"),
            row("recall_touches", touch_id="R2", opened_at="2026-06-02T12:00:00.000001Z"),
        ],
    )

    landing.run(loaded_at=LOADED_AT)

    assert landing.quarantined() == [("recall_touches", "r.csv", 2, "future_timestamp")]


def test_campaign_dates_are_plans_and_never_future(landing: Landing) -> None:
    landing.write(
        "campaigns", "k.csv", [row("campaigns", starts_on="2027-01-01", ends_on="2027-03-31")]
    )

    landing.run()

    assert landing.scalar("select count(*) from raw.campaigns") == 1


def test_no_rate_uses_the_date_in_the_reporting_timezone(landing: Landing) -> None:
    # Rates start on 2022-01-03. 02:00 UTC on that day is still 2022-01-02 in New York.
    landing.settings = dataclasses.replace(landing.settings, timezone="America/New_York")
    landing.contacts("C1")
    landing.write(
        "recall_touches",
        "r.csv",
        [
            row("recall_touches", sent_at="2022-01-03T02:00:00Z", currency="EUR"),
            row("recall_touches", touch_id="R2", sent_at="2022-01-03T06:00:00Z", currency="EUR"),
        ],
    )

    landing.run()

    assert landing.quarantined() == [("recall_touches", "r.csv", 1, "no_rate_for_date")]
    (detail,) = landing.query("select detail from ingest.quarantine")[0]
    assert detail.startswith(
        "no EUR rate on or before 2022-01-02 (the date of sent_at in America/New_York) to "
        "convert to USD; EUR rates start on 2022-01-03."
    )


def test_campaign_rate_date_is_its_start(landing: Landing) -> None:
    landing.write(
        "campaigns",
        "k.csv",
        [
            row("campaigns", starts_on="2021-12-20", ends_on="2022-02-01", currency="EUR"),
            row("campaigns", campaign_id="K2", starts_on="2022-01-03", currency="EUR"),
        ],
    )

    landing.run()

    assert landing.quarantined() == [("campaigns", "k.csv", 1, "no_rate_for_date")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31T23:30:00-05:00", datetime(2026, 2, 1, 4, 30)),
        ("2026-01-31T23:30:00Z", datetime(2026, 1, 31, 23, 30)),
        ("2026-01-31T23:30:00", datetime(2026, 1, 31, 23, 30)),
        ("2026-01-31T23:30:00+05:30", datetime(2026, 1, 31, 18, 0)),
        ("2026-01-31 23:30:00.250-05:00", datetime(2026, 2, 1, 4, 30, 0, 250000)),
    ],
)
def test_timestamps_are_stored_as_naive_utc(
    landing: Landing, text: str, expected: datetime
) -> None:
    landing.contacts("C1")
    landing.write("transactions", "t.csv", [row("transactions", occurred_at=text)])

    landing.run()

    assert landing.query("select occurred_at from raw.transactions") == [(expected,)]


@pytest.mark.parametrize("text", ["epoch", "infinity", "2026-02-30T10:00:00Z", "20260131T103000Z"])
def test_words_and_impossible_dates_are_unparseable_timestamps(landing: Landing, text: str) -> None:
    landing.write("transactions", "t.csv", [row("transactions", occurred_at=text)])

    landing.run()

    assert landing.quarantined() == [("transactions", "t.csv", 1, "unparseable_timestamp")]


def test_booleans_accept_the_usual_spellings(landing: Landing) -> None:
    spellings = [("TRUE", "f", "1", "No"), ("yes", "False", "0", "t"), ("", "", "", "")]
    landing.write(
        "contacts",
        "c.csv",
        [
            row(
                "contacts",
                contact_id=f"C{i}",
                sms_opt_in=a,
                email_opt_in=b,
                push_opt_in=c,
                phone_opt_in=d,
            )
            for i, (a, b, c, d) in enumerate(spellings)
        ],
    )

    landing.run()

    assert landing.query(
        "select sms_opt_in, email_opt_in, push_opt_in, phone_opt_in from raw.contacts "
        "order by contact_id"
    ) == [(True, False, True, False), (True, False, False, True), (None, None, None, None)]


def test_text_is_trimmed_enums_lowercased_currency_uppercased(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write(
        "transactions",
        "t.csv",
        [
            row(
                "transactions",
                transaction_id="  T1\t",
                kind=" Refund ",
                amount=" 12.5 ",
                currency="eur",
                store_or_channel="  ",
                category=" Shoes ",
            )
        ],
    )

    landing.run()

    assert landing.query(
        "select transaction_id, kind, amount, currency, store_or_channel, category "
        "from raw.transactions"
    ) == [("T1", "refund", Decimal("12.5000"), "EUR", None, "Shoes")]


def test_unknown_lapse_reason_code_is_kept_as_delivered(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write(
        "recall_touches", "r.csv", [row("recall_touches", lapse_reason_code="moon_phase")]
    )

    landing.run()

    assert landing.quarantined() == []
    assert landing.query("select lapse_reason_code from raw.recall_touches") == [("moon_phase",)]


def test_control_rows_and_empty_outcome_are_valid_touches(landing: Landing) -> None:
    landing.contacts("C1")
    landing.write(
        "recall_touches",
        "r.csv",
        [row("recall_touches", channel="Control", delivered="", outcome="", cost="0")],
    )

    landing.run()

    assert landing.query("select channel, delivered, outcome, cost from raw.recall_touches") == [
        ("control", None, None, Decimal("0.0000"))
    ]


def test_raw_columns_have_the_contract_types(landing: Landing) -> None:
    landing.contacts("C1")
    landing.run()

    types = dict(
        landing.query(
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'raw'"
        )
    )
    assert types["transactions.occurred_at"] == "TIMESTAMP"
    assert types["transactions.amount"] == "DECIMAL(18,4)"
    assert types["campaigns.starts_on"] == "DATE"
    assert types["contacts.sms_opt_in"] == "BOOLEAN"
    assert types["recall_touches.lapse_reason_code"] == "VARCHAR"
    for table in ("contacts", "transactions", "recall_touches", "campaigns"):
        assert types[f"{table}._file_id"] == "BIGINT"
        assert types[f"{table}._row_number"] == "BIGINT"
        assert types[f"{table}._loaded_at"] == "TIMESTAMP"
        assert types[f"{table}._row_hash"] == "VARCHAR"
