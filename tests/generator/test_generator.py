"""The synthetic landing generator: layout, contract, determinism, realism, bad rows, and
the planted recall effect, all measured from the files it writes."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.contract import SOURCES, SOURCES_BY_NAME
from orchestration.settings import SEEDS_DIR
from sample_data import DEFAULT_END_DATE, TRUTH_FILE, generate

CUSTOMERS = 2_000
SEED = 11
DIRTY_RATE = 0.05
SEED_CURRENCIES = ("BRL", "CAD", "EUR", "GBP", "INR", "JPY", "USD")
OUTREACH_CHANNELS = ("sms", "push", "email", "phone", "visit", "messenger")
FIRST_RATE = "date '2022-01-03'"  # the first date in seeds/currency_rates.csv
# The sources the generator writes: every contract source but the optional currency_rates.
GENERATED = tuple(s for s in SOURCES if s.name != "currency_rates")
GENERATED_NAMES = tuple(s.name for s in GENERATED)
# A single-currency sample older than the first rate (SPEC §4: USD amounts need no rate).
SINGLE_END = date(1998, 12, 31)


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _truth(root: Path) -> dict:
    return json.loads((root / TRUTH_FILE).read_text())


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    return con


def _load(
    con: duckdb.DuckDBPyConnection, root: Path, source: str, *, skip_resend: bool = True
) -> None:
    """Every landing file of a source as text, with its file name, as table `source`."""
    files = sorted(
        p for p in (root / source).glob("*.csv") if not (skip_resend and "_resend" in p.name)
    )
    listing = ", ".join(f"'{p.as_posix()}'" for p in files)
    con.execute(
        f"""
        create or replace table {source} as
        select * from read_csv([{listing}], all_varchar = true, header = true, filename = true)
        """
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(out, customers=CUSTOMERS, seed=SEED)
    return out


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dirty")
    generate(out, customers=CUSTOMERS, seed=SEED, dirty_rate=DIRTY_RATE)
    return out


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parquet")
    generate(out, customers=CUSTOMERS, seed=SEED, file_format="parquet", dirty_rate=DIRTY_RATE)
    return out


@pytest.fixture(scope="module")
def clean_db(clean: Path) -> duckdb.DuckDBPyConnection:
    con = _connect()
    for source in GENERATED_NAMES:
        _load(con, clean, source)
    return con


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("single")
    generate(out, customers=300, seed=3, currency="USD", end_date=SINGLE_END)
    return out


# --- layout and contract ---------------------------------------------------------------


def test_layout_is_one_folder_per_source_with_monthly_files_and_truth_at_the_top(
    clean: Path,
) -> None:
    assert sorted(p.name for p in clean.iterdir()) == [
        "campaigns",
        "contacts",
        "recall_touches",
        "transactions",
        TRUTH_FILE,
    ]
    assert [p.name for p in (clean / "campaigns").iterdir()] == ["campaigns.csv"]
    for source in ("contacts", "transactions", "recall_touches"):
        names = sorted(p.name for p in (clean / source).iterdir())
        assert names, source
        assert all(re.fullmatch(rf"{source}_\d{{4}}-\d{{2}}\.csv", n) for n in names), names
    # Activity runs up to the default end date, so the last monthly file is its month.
    assert sorted((clean / "transactions").iterdir())[-1].name == (
        f"transactions_{DEFAULT_END_DATE:%Y-%m}.csv"
    )


def test_every_file_has_exactly_the_contract_columns(clean: Path, dirty: Path) -> None:
    for root in (clean, dirty):
        for source in GENERATED:
            for path in (root / source.name).iterdir():
                with path.open(newline="", encoding="utf-8") as f:
                    header = next(csv.reader(f))
                assert tuple(header) == source.column_names, path


def test_rows_sit_in_the_file_of_their_utc_month(clean_db: duckdb.DuckDBPyConnection) -> None:
    for source, column in (
        ("transactions", "occurred_at"),
        ("recall_touches", "sent_at"),
        ("contacts", "updated_at"),
    ):
        misplaced = clean_db.execute(
            f"""
            select count(*) from {source}
            where strftime(cast({column} as timestamptz), '%Y-%m')
                <> regexp_extract(filename, '_(\\d{{4}}-\\d{{2}})\\.csv$', 1)
            """
        ).fetchone()[0]
        assert misplaced == 0, source


def test_clean_files_have_unique_keys_and_no_activity_after_the_end_date(
    clean_db: duckdb.DuckDBPyConnection,
) -> None:
    for source in GENERATED:
        key = ", ".join(source.key)
        assert clean_db.execute(
            f"select count(*) - count(distinct ({key})) from {source.name}"
        ).fetchone() == (0,), source.name
    for source, column in (("transactions", "occurred_at"), ("recall_touches", "sent_at")):
        latest = clean_db.execute(
            f"select max(cast({column} as timestamptz)) from {source}"
        ).fetchone()[0]
        assert latest.date() <= DEFAULT_END_DATE


def test_every_contact_referenced_in_clean_files_exists(
    clean_db: duckdb.DuckDBPyConnection,
) -> None:
    for source in ("transactions", "recall_touches"):
        assert clean_db.execute(
            f"""
            select count(*) from {source}
            where contact_id not in (select contact_id from contacts)
            """
        ).fetchone() == (0,), source


def test_ids_follow_the_documented_shapes(clean_db: duckdb.DuckDBPyConnection) -> None:
    for source, column, pattern in (
        ("contacts", "contact_id", r"^C\d{7}$"),
        ("transactions", "transaction_id", r"^T\d{9}$"),
        ("recall_touches", "touch_id", r"^R\d{9}$"),
        ("campaigns", "campaign_id", r"^CMP-\d{4}-\d{2}$"),
    ):
        assert clean_db.execute(
            f"select count(*) from {source} where not regexp_matches({column}, '{pattern}')"
        ).fetchone() == (0,), column


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_writes_byte_identical_files(clean: Path, tmp_path: Path) -> None:
    generate(tmp_path, customers=CUSTOMERS, seed=SEED)
    assert _digests(tmp_path) == _digests(clean)


def test_same_seed_writes_byte_identical_parquet(parquet: Path, tmp_path: Path) -> None:
    generate(tmp_path, customers=CUSTOMERS, seed=SEED, file_format="parquet", dirty_rate=DIRTY_RATE)
    assert _digests(tmp_path) == _digests(parquet)


def test_another_seed_writes_other_data(clean: Path, tmp_path: Path) -> None:
    generate(tmp_path, customers=CUSTOMERS, seed=SEED + 1)
    ours, theirs = _digests(clean), _digests(tmp_path)
    changed = [name for name in ours if name in theirs and ours[name] != theirs[name]]
    assert "transactions/transactions_2026-10.csv" in changed
    assert "campaigns/campaigns.csv" in changed


def test_bad_rows_only_add_rows_the_clean_files_stay_as_they_are(
    clean_db: duckdb.DuckDBPyConnection, dirty: Path
) -> None:
    truth = _truth(dirty)
    con = _connect()
    for source in ("contacts", "transactions", "recall_touches"):
        _load(con, dirty, source)
        columns = ", ".join(SOURCES_BY_NAME[source].column_names)
        clean_rows = clean_db.execute(f"select {columns} from {source}").fetchall()
        dirty_count = con.execute(f"select count(*) from {source}").fetchone()[0]
        planted = (
            sum(truth["dirty"][source].values())
            + truth["exact_duplicates"][source]
            + truth["parked"].get(source, 0)
        )
        assert dirty_count == len(clean_rows) + planted, source
        dirty_rows = set(con.execute(f"select {columns} from {source}").fetchall())
        assert set(clean_rows) <= dirty_rows, source


# --- realism -------------------------------------------------------------------------------


def test_refunds_are_positive_and_never_exceed_an_earlier_purchase(
    clean_db: duckdb.DuckDBPyConnection,
) -> None:
    refunds, unmatched = clean_db.execute(
        """
        with tx as (
            select contact_id, kind, cast(amount as decimal(18, 2)) as amount,
                cast(occurred_at as timestamptz) as at
            from transactions
        )
        select
            count(*),
            count(*) filter (where not exists (
                select 1 from tx as p
                where p.contact_id = r.contact_id and p.kind = 'purchase'
                    and p.amount >= r.amount and p.at < r.at
            ) or r.amount <= 0)
        from tx as r
        where kind = 'refund'
        """
    ).fetchone()
    assert refunds > 0
    assert unmatched == 0


def test_refunds_are_about_four_percent_and_zero_amount_purchases_are_rare(
    clean: Path, clean_db: duckdb.DuckDBPyConnection
) -> None:
    kinds = _truth(clean)["transactions_by_kind"]
    assert 0.02 < kinds["refund"] / kinds["purchase"] < 0.06
    purchases, free = clean_db.execute(
        """
        select count(*), count(*) filter (where cast(amount as double) = 0)
        from transactions where kind = 'purchase'
        """
    ).fetchone()
    assert purchases == kinds["purchase"]
    assert 0 < free < 0.01 * purchases


def test_late_evening_purchases_west_of_utc_fall_on_the_next_utc_day(
    clean_db: duckdb.DuckDBPyConnection,
) -> None:
    crossing = clean_db.execute(
        """
        select count(*) from transactions
        where regexp_matches(occurred_at, '-0\\d:00$')
            and cast(substr(occurred_at, 12, 2) as int) >= 19
            and cast(cast(occurred_at as timestamptz) as date)
                = cast(substr(occurred_at, 1, 10) as date) + 1
        """
    ).fetchone()[0]
    assert crossing > 100


def test_a_few_timestamps_are_written_in_utc_with_z_or_without_offset(
    clean_db: duckdb.DuckDBPyConnection,
) -> None:
    total, zulu, naive, unparsed = clean_db.execute(
        """
        select
            count(*),
            count(*) filter (where occurred_at like '%Z'),
            count(*) filter (where length(occurred_at) = 19),
            count(*) filter (where try_cast(occurred_at as timestamptz) is null)
        from transactions
        """
    ).fetchone()
    assert 0.01 < zulu / total < 0.04
    assert 0.01 < naive / total < 0.04
    assert unparsed == 0


def test_prospects_never_buy_and_the_truth_counts_them(
    clean: Path, clean_db: duckdb.DuckDBPyConnection
) -> None:
    prospects = clean_db.execute(
        """
        select count(distinct contact_id) from contacts
        where contact_id not in (
            select contact_id from transactions
            where kind = 'purchase' and cast(amount as double) > 0
        )
        """
    ).fetchone()[0]
    assert prospects == _truth(clean)["prospects"]
    assert 0.10 * CUSTOMERS < prospects < 0.30 * CUSTOMERS


def test_each_customer_has_a_first_version_at_signup_and_later_versions_after_it(
    clean_db: duckdb.DuckDBPyConnection,
) -> None:
    customers, at_signup, before_signup = clean_db.execute(
        """
        select
            count(distinct contact_id),
            count(*) filter (where updated_at = signup_at),
            count(*) filter (
                where cast(updated_at as timestamptz) < cast(signup_at as timestamptz)
            )
        from contacts
        """
    ).fetchone()
    assert customers == CUSTOMERS
    assert at_signup == CUSTOMERS
    assert before_signup == 0


def test_every_outreach_channel_and_the_holdout_appear(
    clean_db: duckdb.DuckDBPyConnection,
) -> None:
    channels = {
        c for (c,) in clean_db.execute("select distinct channel from recall_touches").fetchall()
    }
    with (SEEDS_DIR / "channels.csv").open() as f:
        seeded = {row["channel"] for row in csv.DictReader(f)}
    assert channels == seeded == {*OUTREACH_CHANNELS, "control"}


def test_holdout_rows_send_nothing_and_cost_nothing(clean_db: duckdb.DuckDBPyConnection) -> None:
    assert clean_db.execute(
        """
        select count(*), count(distinct cost), min(cost), bool_or(delivered = 'true'),
            count(opened_at), count(clicked_at), count(outcome), count(lapse_reason_code)
        from recall_touches where channel = 'control'
        """
    ).fetchone()[1:] == (1, "0.000", False, 0, 0, 0, 0)


def test_only_calls_and_visits_carry_outcomes_of_a_conversation_and_lapse_reasons(
    clean_db: duckdb.DuckDBPyConnection,
) -> None:
    rows = clean_db.execute(
        "select channel, outcome, count(*) from recall_touches group by all"
    ).fetchall()
    by = {(ch, out): n for ch, out, n in rows}
    conversation = {"reached", "no_answer", "refused", "wrong_number"}
    assert {out for (ch, out) in by if ch in ("phone", "visit")} == conversation
    assert {out for (ch, out) in by if ch == "email"} == {None, "bounced", "unsubscribed"}
    with (SEEDS_DIR / "lapse_reasons.csv").open() as f:
        codes = {row["reason_code"] for row in csv.DictReader(f)}
    reasons = clean_db.execute(
        """
        select distinct channel, outcome, lapse_reason_code from recall_touches
        where lapse_reason_code is not null
        """
    ).fetchall()
    assert {(ch, out) for ch, out, _ in reasons} <= {("phone", "reached"), ("visit", "reached")}
    assert {code for *_, code in reasons} <= codes | {"other_legacy"}


def test_unanswered_calls_are_retried_in_the_same_campaign(
    clean_db: duckdb.DuckDBPyConnection,
) -> None:
    retried = clean_db.execute(
        """
        select count(*) from (
            select contact_id, campaign_id from recall_touches
            where channel = 'phone' group by all having count(*) > 1
        )
        """
    ).fetchone()[0]
    assert retried > 0


def test_campaigns_run_monthly_for_two_years_up_to_the_end_date(
    clean_db: duckdb.DuckDBPyConnection,
) -> None:
    rows = clean_db.execute(
        """
        select campaign_id, cast(starts_on as date), cast(ends_on as date), offer,
            target_tiers, cast(fixed_cost as double), currency
        from campaigns order by campaign_id
        """
    ).fetchall()
    assert len(rows) == 24
    assert rows[-1][0] == f"CMP-{DEFAULT_END_DATE:%Y-%m}"
    for campaign_id, starts, ends, offer, tiers, cost, currency in rows:
        assert campaign_id == f"CMP-{starts:%Y-%m}" and starts.day == 1
        assert ends > starts
        assert offer in ("none", "coupon", "discount", "free_service", "credit_increase")
        assert re.fullmatch(r"[1-5](\|[1-5])*", tiers)
        assert cost > 0 and currency in ("USD", "EUR")
    assert any(ends.month != starts.month for _, starts, ends, *_ in rows)


def test_clean_currencies_all_have_rates(clean_db: duckdb.DuckDBPyConnection) -> None:
    for source in ("transactions", "recall_touches", "campaigns"):
        found = {
            c for (c,) in clean_db.execute(f"select distinct currency from {source}").fetchall()
        }
        assert found <= set(SEED_CURRENCIES), source


def test_progress_reports_short_messages_and_the_summary_adds_up(tmp_path: Path) -> None:
    messages: list[str] = []
    summary = generate(tmp_path, customers=300, seed=1, progress=messages.append)
    assert any(m.startswith("transactions: ") and m.endswith(" rows") for m in messages)
    assert summary.rows == _truth(tmp_path)["rows_written"]
    assert len(summary.files) == sum(1 for p in tmp_path.rglob("*.csv"))
    assert "300 customers" in summary.format()


def test_refuses_to_write_over_existing_landing_files(clean: Path) -> None:
    with pytest.raises(FileExistsError, match="empty directory"):
        generate(clean, customers=10, seed=1)


# --- single currency -----------------------------------------------------------------------


def test_single_currency_puts_every_amount_in_that_currency(single: Path) -> None:
    truth = _truth(single)
    assert truth["currency"] == truth["dirty_reporting_currency"] == "USD"
    con = _connect()
    for source in ("transactions", "recall_touches", "campaigns"):
        _load(con, single, source)
        assert con.execute(
            f"select currency, count(*) > 0 from {source} group by all"
        ).fetchall() == [("USD", True)], source


def test_single_currency_history_starts_before_the_first_rate(single: Path) -> None:
    truth = _truth(single)
    assert (truth["first_signup_date"], truth["end_date"]) == ("1996-01-01", "1998-12-31")
    assert truth["counts"] == {
        "campaigns": 24,
        "contacts": 528,
        "transactions": 6186,
        "recall_touches": 97,
    }
    con = _connect()
    spans = {}
    for source, column in (
        ("contacts", "signup_at"),
        ("contacts", "updated_at"),
        ("transactions", "occurred_at"),
        ("recall_touches", "sent_at"),
    ):
        _load(con, single, source)
        spans[column] = con.execute(
            f"""
            select strftime(min(cast({column} as timestamptz)), '%Y-%m-%d %H:%M:%S'),
                strftime(max(cast({column} as timestamptz)), '%Y-%m-%d %H:%M:%S')
            from {source}
            """
        ).fetchone()
    assert spans == {
        "signup_at": ("1996-01-02 16:09:19", "1998-12-31 20:45:27"),
        "updated_at": ("1996-01-02 16:09:19", "1998-12-31 20:45:27"),
        "occurred_at": ("1996-01-02 18:01:40", "1998-12-31 23:32:02"),
        "sent_at": ("1997-01-04 19:37:43", "1998-12-10 13:44:14"),
    }
    _load(con, single, "campaigns")
    assert con.execute(
        "select count(*), min(starts_on), max(starts_on), max(ends_on) from campaigns"
    ).fetchone() == (24, "1997-01-01", "1998-12-01", "1998-12-31")


def test_single_currency_same_arguments_write_byte_identical_files(
    single: Path, tmp_path: Path
) -> None:
    generate(tmp_path / "again", customers=300, seed=3, currency="USD", end_date=SINGLE_END)
    assert _digests(tmp_path / "again") == _digests(single)
    for name in ("first", "second"):
        generate(
            tmp_path / name,
            customers=300,
            seed=3,
            currency="EUR",
            end_date=SINGLE_END,
            file_format="parquet",
            dirty_rate=DIRTY_RATE,
        )
    assert _digests(tmp_path / "first") == _digests(tmp_path / "second")
    assert _digests(tmp_path / "first") != _digests(single)


def test_single_currency_keeps_the_business_and_the_planted_truth(
    clean: Path, tmp_path: Path
) -> None:
    generate(tmp_path, customers=CUSTOMERS, seed=SEED, currency="USD")
    ours, theirs = _truth(clean), _truth(tmp_path)
    assert {k for k in ours if ours[k] != theirs[k]} == {"currency"}
    assert (ours["currency"], theirs["currency"]) == (None, "USD")
    assert _digests(tmp_path / "contacts") == _digests(clean / "contacts")
    con = _connect()
    for source, amount in (
        ("transactions", "amount"),
        ("recall_touches", "cost"),
        ("campaigns", "fixed_cost"),
    ):
        _load(con, clean, source)
        con.execute(f"alter table {source} rename to multi_{source}")
        _load(con, tmp_path, source)
        spec = SOURCES_BY_NAME[source]
        others = [c for c in spec.column_names if c not in (*spec.key, "currency", amount)]
        # Every row is the same but its currency; USD amounts stay exactly as they were, and
        # campaign and touch costs are the same numbers in USD or EUR.
        same_amount = "m.currency = 'USD'" if source == "transactions" else "true"
        differ = " or ".join(
            [f"m.{c} is distinct from u.{c}" for c in others]
            + [f"({same_amount} and m.{amount} is distinct from u.{amount})"]
        )
        found = con.execute(
            f"""
            select count(*), count(*) filter (where {differ}), count(*) filter (where {same_amount})
            from multi_{source} as m
            full join {source} as u using ({", ".join(spec.key)})
            """
        ).fetchone()
        rows = ours["counts"][source]
        # The clean sample's US customers pay in USD in both: 14,857 transactions.
        compared = 14_857 if source == "transactions" else rows
        assert found == (rows, 0, compared), source


def test_single_currency_converts_usd_based_amounts_to_the_minor_unit(tmp_path: Path) -> None:
    generate(tmp_path / "multi", customers=300, seed=3)
    generate(tmp_path / "jpy", customers=300, seed=3, currency="JPY")
    con = _connect()
    for name in ("multi", "jpy"):
        _load(con, tmp_path / name, "transactions")
        con.execute(f"create table {name}_transactions as select * from transactions")
    # Amounts are the ones a Japanese customer gets in the multi-currency sample: whole yen.
    assert con.execute(
        """
        select count(*),
            count(*) filter (where m.currency = 'JPY'),
            count(*) filter (where m.currency = 'JPY' and m.amount <> j.amount),
            count(*) filter (where cast(j.amount as decimal(18, 2)) % 1 <> 0),
            count(*) filter (where j.currency <> 'JPY')
        from multi_transactions as m
        inner join jpy_transactions as j using (transaction_id)
        """
    ).fetchone() == (_truth(tmp_path / "jpy")["counts"]["transactions"], 333, 0, 0, 0)
    _load(con, tmp_path / "jpy", "recall_touches")
    assert con.execute(
        "select channel, min(cost), max(cost) from recall_touches group by all order by all"
    ).fetchall() == [
        ("control", "0.000", "0.000"),
        ("email", "0.300", "0.300"),
        ("messenger", "4.500", "4.500"),
        ("phone", "225.000", "225.000"),
        ("push", "0.150", "0.150"),
        ("sms", "7.500", "7.500"),
        ("visit", "1800.000", "1800.000"),
    ]
    _load(con, tmp_path / "jpy", "campaigns")
    assert con.execute(
        """
        select count(*), count(*) filter (where cast(fixed_cost as double) % 1500 = 0),
            list(distinct currency)
        from campaigns
        """
    ).fetchone() == (24, 24, ["JPY"])


@pytest.mark.parametrize("code", ["ARS", "usd", ""])
def test_an_unknown_currency_is_refused_naming_the_allowed_codes(tmp_path: Path, code: str) -> None:
    with pytest.raises(ValueError, match=r"EUR, USD, GBP, CAD, BRL, JPY, INR"):
        generate(tmp_path, customers=10, seed=1, currency=code)
    assert list(tmp_path.iterdir()) == []


def test_multi_currency_history_still_starts_after_the_first_rate(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="first currency rate"):
        generate(tmp_path, customers=10, seed=1, end_date=SINGLE_END)


def test_single_currency_history_starts_after_1970(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be 1973-01-01 or later"):
        generate(tmp_path, customers=10, seed=1, currency="USD", end_date=date(1972, 12, 31))


@pytest.mark.parametrize(("currency", "no_rate"), [("USD", "GBP"), ("GBP", "CAD")])
def test_single_currency_bad_rows_carry_other_currencies_only_where_planted(
    tmp_path: Path, currency: str, no_rate: str
) -> None:
    generate(
        tmp_path, customers=300, seed=3, currency=currency, end_date=SINGLE_END, dirty_rate=0.05
    )
    truth = _truth(tmp_path)
    assert (truth["no_rate_currency"], truth["dirty_reporting_currency"]) == (no_rate, currency)
    con = _connect()
    for source, column in (("transactions", "occurred_at"), ("recall_touches", "sent_at")):
        _load(con, tmp_path, source)
        found = con.execute(
            f"""
            select
                case when currency in ('ARS', 'MXN', 'XXX') then 'unknown' else currency end,
                year(try_cast({column} as timestamptz)) = 2021,
                count(*)
            from {source} where currency <> '{currency}'
            group by all order by all
            """
        ).fetchall()
        dirty = truth["dirty"][source]
        assert found == [
            (no_rate, True, dirty["no_rate_for_date"]),
            ("unknown", False, dirty["unknown_currency"]),
        ], source


# --- bad rows --------------------------------------------------------------------------------


REASON_RULES = {
    # reason: condition on the text of a row (one per source kind)
    "transactions": {
        "missing_key": "transaction_id is null",
        "unparseable_timestamp": "try_cast(occurred_at as timestamptz) is null",
        "unknown_kind": "kind not in ('purchase', 'refund')",
        "unknown_currency": f"currency not in {SEED_CURRENCIES}",
        # Before the first rate, in a currency other than the reporting currency USD.
        "no_rate_for_date": (
            f"cast(try_cast(occurred_at as timestamptz) as date) < {FIRST_RATE} "
            "and currency <> 'USD'"
        ),
        "missing_amount": "amount is null",
        "negative_amount": "cast(amount as double) < 0",
        "future_timestamp": "try_cast(occurred_at as timestamptz) > timestamptz '2099-01-01'",
    },
    "recall_touches": {
        "missing_key": "touch_id is null",
        "unparseable_timestamp": "try_cast(sent_at as timestamptz) is null",
        "unknown_channel": f"channel not in {(*OUTREACH_CHANNELS, 'control')}",
        "unknown_currency": f"currency not in {SEED_CURRENCIES}",
        "no_rate_for_date": (
            f"cast(try_cast(sent_at as timestamptz) as date) < {FIRST_RATE} and currency <> 'USD'"
        ),
        "missing_amount": "cost is null",
        "negative_amount": "cast(cost as double) < 0",
        "future_timestamp": "try_cast(sent_at as timestamptz) > timestamptz '2099-01-01'",
    },
    "contacts": {
        "missing_key": "contact_id is null",
        "unparseable_timestamp": "try_cast(updated_at as timestamptz) is null",
    },
}


@pytest.mark.parametrize("source", ["transactions", "recall_touches", "contacts"])
def test_planted_bad_rows_match_the_truth_one_defect_each(dirty: Path, source: str) -> None:
    truth = _truth(dirty)
    con = _connect()
    _load(con, dirty, source)
    spec = SOURCES_BY_NAME[source]
    rules = REASON_RULES[source]
    found = {
        reason: con.execute(f"select count(*) from {source} where {rule}").fetchone()[0]
        for reason, rule in rules.items()
    }
    any_defect = con.execute(
        f"select count(*) from {source} where " + " or ".join(f"({r})" for r in rules.values())
    ).fetchone()[0]
    # A row flagged by two rules would make the sum exceed the rows flagged at all.
    assert sum(found.values()) == any_defect
    columns = ", ".join(spec.column_names)
    key = ", ".join(spec.key)
    exact, conflicting = con.execute(
        f"""
        select
            count(*) - (select count(*) from (select distinct {columns} from {source})),
            (select count(*) - count(distinct ({key})) from (
                select distinct {columns} from {source} where {spec.key[0]} is not null
            ))
        from {source}
        """
    ).fetchone()
    if "conflicting_duplicate" in truth["dirty"][source]:
        found["conflicting_duplicate"] = conflicting
    assert found == truth["dirty"][source]
    assert all(n > 0 for n in found.values())
    assert exact == truth["exact_duplicates"][source] > 0
    if source != "contacts":
        _load(con, dirty, "contacts")
        parked = con.execute(
            f"""
            select count(*) from {source}
            where contact_id not in (select contact_id from contacts where contact_id is not null)
            """
        ).fetchone()[0]
        assert parked == truth["parked"][source] > 0


def test_bad_rows_are_about_the_requested_share(dirty: Path) -> None:
    truth = _truth(dirty)
    for source, reasons in truth["dirty"].items():
        share = sum(reasons.values()) / truth["counts"][source]
        assert DIRTY_RATE * 0.9 <= share <= DIRTY_RATE * 1.1, source
        assert max(reasons.values()) - min(reasons.values()) <= 1, source


def test_duplicates_and_conflicts_come_in_a_later_file_than_their_original(dirty: Path) -> None:
    con = _connect()
    _load(con, dirty, "transactions")
    earlier = con.execute(
        """
        select count(*) from (
            select transaction_id, min(filename) as first_file, max(filename) as last_file
            from transactions where transaction_id is not null
            group by all having count(*) > 1
        ) where first_file = last_file
        """
    ).fetchone()[0]
    assert earlier == 0


def test_one_file_is_delivered_twice_under_another_name(dirty: Path) -> None:
    truth = _truth(dirty)
    assert truth["redelivered_files"] == ["transactions/transactions_2026-10_resend.csv"]
    resend = (dirty / truth["redelivered_files"][0]).read_bytes()
    assert resend == (dirty / "transactions" / "transactions_2026-10.csv").read_bytes()


def test_planted_no_rate_rows_carry_gbp_so_the_reporting_currency_rule_still_catches_them(
    dirty: Path,
) -> None:
    # SPEC §4: an amount in the reporting currency (USD by default) needs no rate on any
    # date, so a row dated before the first rate is only quarantined in another currency.
    truth = _truth(dirty)
    assert truth["no_rate_currency"] == "GBP"
    assert truth["dirty_reporting_currency"] == "USD"
    con = _connect()
    for source, column in (("transactions", "occurred_at"), ("recall_touches", "sent_at")):
        _load(con, dirty, source)
        rows = con.execute(
            f"""
            select currency, count(*) from {source}
            where cast(try_cast({column} as timestamptz) as date) < {FIRST_RATE}
            group by all
            """
        ).fetchall()
        assert rows == [("GBP", truth["dirty"][source]["no_rate_for_date"])], source


def test_clean_mode_plants_nothing(clean: Path) -> None:
    truth = _truth(clean)
    assert all(n == 0 for reasons in truth["dirty"].values() for n in reasons.values())
    assert set(truth["exact_duplicates"].values()) == {0}
    assert set(truth["parked"].values()) == {0}
    assert truth["redelivered_files"] == []


# --- parquet -------------------------------------------------------------------------------


def test_parquet_files_have_the_contract_columns_and_types(parquet: Path) -> None:
    for source in GENERATED:
        paths = sorted((parquet / source.name).glob("*.parquet"))
        assert paths, source.name
        for path in paths:
            schema = pq.read_schema(path)
            assert tuple(schema.names) == source.column_names, path
            types = {f.name: str(f.type) for f in schema}
            for column in source.columns:
                expected = {
                    "text": "string",
                    "timestamp": "string",
                    "date": "date32[day]",
                    "boolean": "bool",
                    "amount": "double",
                }[column.type]
                assert types[column.name] == expected, (path.name, column.name)


def test_parquet_holds_the_same_rows_as_csv(parquet: Path, dirty: Path) -> None:
    con = _connect()
    for source, key, amount in (
        ("transactions", "transaction_id", "amount"),
        ("recall_touches", "touch_id", "cost"),
    ):
        _load(con, dirty, source)
        from_csv = con.execute(
            f"select count(*), count(distinct {key}), sum(cast({amount} as double)) from {source}"
        ).fetchone()
        from_parquet = con.execute(
            f"""
            select count(*), count(distinct {key}), sum({amount})
            from read_parquet('{(parquet / source).as_posix()}/*.parquet', filename = true)
            where filename not like '%_resend%'
            """
        ).fetchone()
        assert from_parquet[:2] == from_csv[:2], source
        assert math.isclose(from_parquet[2], from_csv[2], rel_tol=1e-9), source


# --- the planted recall effect ------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[tuple]]:
    """Per campaign and group (channel or control): customers whose first touch or control
    row of the campaign was eligible, and how many of them returned, measured from the files
    by the SPEC §6 rule, split by eligibility of that first row."""
    out = tmp_path_factory.mktemp("planted")
    generate(out, customers=20_000, seed=5)
    con = _connect()
    _load(con, out, "transactions")
    _load(con, out, "recall_touches")
    rows = con.execute(
        """
        with purchases as (
            select contact_id, cast(occurred_at as timestamptz) as at
            from transactions
            where kind = 'purchase' and cast(amount as decimal(18, 2)) > 0
        ),
        first_rows as (
            select touch_id, contact_id, campaign_id, channel,
                cast(sent_at as timestamptz) as sent
            from recall_touches
            qualify row_number() over (
                partition by contact_id, campaign_id
                order by cast(sent_at as timestamptz), touch_id
            ) = 1
        ),
        last_before as (
            select f.touch_id, max(p.at) as last_at
            from first_rows as f
            inner join purchases as p on p.contact_id = f.contact_id and p.at < f.sent
            group by all
        ),
        returned as (
            select distinct f.touch_id
            from first_rows as f
            inner join purchases as p
                on p.contact_id = f.contact_id
                and p.at > f.sent
                and p.at <= f.sent + interval 30 day
        )
        select f.campaign_id, f.channel,
            date_diff('day', l.last_at::date, f.sent::date) > 60 as is_eligible,
            count(*), count(r.touch_id)
        from first_rows as f
        inner join last_before as l using (touch_id)
        left join returned as r using (touch_id)
        group by all
        """
    ).fetchall()
    return _truth(out), rows


def test_measured_returns_match_the_planted_truth_exactly(
    planted: tuple[dict, list[tuple]],
) -> None:
    truth, rows = planted
    eligible = {}
    ineligible = 0
    for campaign, channel, is_eligible, customers, returned in rows:
        if is_eligible:
            eligible[(campaign, channel)] = {"customers": customers, "returned": returned}
        else:
            # Mis-targeted customers bought recently: their rows fail eligibility and are
            # not part of the planted experiment.
            ineligible += customers
    expected = {
        (campaign, channel): counts
        for campaign, plan in truth["planted_returns"].items()
        for channel, counts in plan["by_channel"].items()
    }
    assert eligible == expected
    assert ineligible == truth["mistargeted_first_touches"] > 0


def test_measured_lift_per_channel_is_consistent_with_the_planted_uplift(
    planted: tuple[dict, list[tuple]],
) -> None:
    truth, rows = planted
    complete = {c for c, plan in truth["planted_returns"].items() if plan["window_complete"]}
    totals: dict[str, list[int]] = {}
    for campaign, channel, is_eligible, customers, returned in rows:
        if campaign in complete and is_eligible:
            n, k = totals.setdefault(channel, [0, 0])
            totals[channel] = [n + customers, k + returned]
    n0, k0 = totals.pop("control")
    p0 = k0 / n0
    base = truth["baseline_return_probability"]
    assert abs(p0 - base) < 4 * math.sqrt(base * (1 - base) / n0)
    assert set(totals) == set(truth["uplift_by_channel"]) == set(OUTREACH_CHANNELS)
    for channel, (n1, k1) in totals.items():
        p1 = k1 / n1
        se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        planted_lift = truth["uplift_by_channel"][channel]
        # Loose on purpose: a sanity check of the plant, not the statistical test of the marts.
        assert abs((p1 - p0) - planted_lift) < 4 * se, (channel, p1 - p0, planted_lift, se)


def test_truth_describes_the_experiment(planted: tuple[dict, list[tuple]]) -> None:
    truth, _ = planted
    assert truth["attribution_window_days"] == 30
    assert truth["control_share"] == 0.10
    assert truth["end_date"] == DEFAULT_END_DATE.isoformat()
    assert truth["uplift_by_channel"] == {
        "sms": 0.03,
        "push": 0.01,
        "email": 0.02,
        "messenger": 0.025,
        "phone": 0.06,
        "visit": 0.08,
    }
    assert date.fromisoformat(truth["first_signup_date"]) >= date(2022, 1, 3)
