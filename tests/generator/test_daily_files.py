"""The daily landing layout (`generate(..., daily_files=True)`, `recall generate
--daily-files`) and `deliver_days`: one file per source per UTC day, the same rows as the
monthly layout, delivered day by day."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from orchestration.cli import SAMPLE_SEED, main
from sample_data import TRUTH_FILE, deliver_days, file_day, generate, landing_days

CUSTOMERS = 500
SEED = 11
DIRTY_RATE = 0.05
EVENT_SOURCES = {
    "contacts": "updated_at",
    "transactions": "occurred_at",
    "recall_touches": "sent_at",
}
SOURCES = (*EVENT_SOURCES, "campaigns")
DAILY_NAME = r"(?P<source>[a-z_]+)_(?P<day>\d{4}-\d{2}-\d{2})\.csv"
RESEND = "transactions/transactions_2026-10-31_resend.csv"


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _names(root: Path, source: str) -> list[str]:
    return sorted(p.name for p in (root / source).iterdir())


def _split(path: Path) -> tuple[bytes, bytes]:
    """A CSV file's header line and its data lines."""
    header, body = path.read_bytes().split(b"\n", 1)
    return header, body


def _by_month(root: Path, source: str) -> dict[str, tuple[bytes, bytes]]:
    """Header and data lines of a source per month: a monthly file's own, or its daily
    files' one after the other (the re-delivered copy left out)."""
    months: dict[str, list[bytes]] = defaultdict(list)
    headers = set()
    for path in sorted((root / source).glob("*.csv")):
        if "_resend" in path.name:
            continue
        header, body = _split(path)
        headers.add(header)
        months[re.search(r"_(\d{4}-\d{2})", path.name).group(1)].append(body)
    (header,) = headers
    return {month: (header, b"".join(bodies)) for month, bodies in months.items()}


def _connect(root: Path) -> duckdb.DuckDBPyConnection:
    """Every CSV file of every source as text, with the day of its file as `file_day`."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for source in SOURCES:
        con.execute(
            f"""
            create table {source} as
            select *, cast(regexp_extract(filename, '_(\\d{{4}}-\\d{{2}}-\\d{{2}})\\.csv$', 1)
                as date) as file_day
            from read_csv('{(root / source).as_posix()}/*.csv', all_varchar = true,
                header = true, filename = true)
            where filename not like '%_resend%'
            """
        )
    return con


@pytest.fixture(scope="module")
def monthly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("monthly")
    generate(out, customers=CUSTOMERS, seed=SEED)
    return out


@pytest.fixture(scope="module")
def daily(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("daily")
    generate(out, customers=CUSTOMERS, seed=SEED, daily_files=True)
    return out


@pytest.fixture(scope="module")
def monthly_dirty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("monthly_dirty")
    generate(out, customers=CUSTOMERS, seed=SEED, dirty_rate=DIRTY_RATE)
    return out


@pytest.fixture(scope="module")
def daily_dirty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("daily_dirty")
    generate(out, customers=CUSTOMERS, seed=SEED, dirty_rate=DIRTY_RATE, daily_files=True)
    return out


# --- layout ---------------------------------------------------------------------------------


def test_daily_layout_is_one_file_per_source_per_day_with_rows(daily: Path) -> None:
    assert sorted(p.name for p in daily.iterdir()) == [*sorted(SOURCES), TRUTH_FILE]
    counts = {}
    for source in SOURCES:
        names = _names(daily, source)
        matches = [re.fullmatch(DAILY_NAME, n) for n in names]
        assert all(m and m["source"] == source for m in matches), names
        counts[source] = len(names)
    assert counts == {
        "contacts": 590,
        "transactions": 1044,
        "recall_touches": 129,
        "campaigns": 24,
    }
    assert _names(daily, "transactions")[0] == "transactions_2023-11-09.csv"
    assert _names(daily, "transactions")[-1] == "transactions_2026-10-31.csv"
    assert _names(daily, "campaigns")[:2] == [
        "campaigns_2024-11-01.csv",
        "campaigns_2024-12-01.csv",
    ]
    assert _names(daily, "campaigns")[-1] == "campaigns_2026-10-01.csv"
    # No file is empty: every one has a header and at least one row.
    assert all(_split(p)[1].count(b"\n") >= 1 for s in SOURCES for p in (daily / s).iterdir())


def test_every_day_with_rows_has_its_file_and_every_row_is_in_its_utc_day(
    daily: Path, monthly: Path
) -> None:
    con = _connect(daily)
    for source, column in EVENT_SOURCES.items():
        misplaced = con.execute(
            f"select count(*) from {source} where cast(cast({column} as timestamptz) as date) "
            "<> file_day"
        ).fetchone()[0]
        assert misplaced == 0, source
        # The days of the monthly layout's rows are exactly the daily files.
        days = duckdb.sql(
            f"""
            select distinct cast(cast({column} as timestamptz) as date) as d
            from read_csv('{(monthly / source).as_posix()}/*.csv', all_varchar = true)
            order by d
            """
        ).fetchall()
        assert [f"{source}_{d:%Y-%m-%d}.csv" for (d,) in days] == _names(daily, source)
    assert con.execute(
        "select count(*), count(*) filter (where cast(starts_on as date) = file_day) from campaigns"
    ).fetchone() == (24, 24)


def test_parquet_daily_files_match_the_csv_ones(daily_dirty: Path, tmp_path: Path) -> None:
    generate(
        tmp_path,
        customers=CUSTOMERS,
        seed=SEED,
        dirty_rate=DIRTY_RATE,
        daily_files=True,
        file_format="parquet",
    )
    for source in SOURCES:
        csv_rows = {p.stem: _split(p)[1].count(b"\n") for p in (daily_dirty / source).glob("*.csv")}
        parquet_rows = {
            p.stem: pq.read_metadata(p).num_rows for p in (tmp_path / source).glob("*.parquet")
        }
        assert parquet_rows == csv_rows, source
    assert json.loads((tmp_path / TRUTH_FILE).read_text())["redelivered_files"] == [
        RESEND.replace(".csv", ".parquet")
    ]


# --- the same rows as the monthly layout ---------------------------------------------------


@pytest.mark.parametrize("dirty", [False, True], ids=["clean", "dirty"])
def test_daily_files_one_after_the_other_are_the_monthly_files(
    dirty: bool, daily: Path, monthly: Path, daily_dirty: Path, monthly_dirty: Path
) -> None:
    day_root, month_root = (daily_dirty, monthly_dirty) if dirty else (daily, monthly)
    for source in EVENT_SOURCES:
        by_day, by_month = _by_month(day_root, source), _by_month(month_root, source)
        assert by_day == by_month, source
        assert len(by_month) == len(_names(month_root, source)) - (
            dirty and source == "transactions"
        )
    # Campaigns: one file per start date, together the single monthly-layout file.
    (header,) = {_split(p)[0] for p in (day_root / "campaigns").iterdir()}
    together = b"".join(_split(p)[1] for p in sorted((day_root / "campaigns").iterdir()))
    assert (header, together) == _split(month_root / "campaigns" / "campaigns.csv")


def test_truth_is_the_same_as_the_monthly_layouts(
    daily: Path, monthly: Path, daily_dirty: Path, monthly_dirty: Path
) -> None:
    assert (daily / TRUTH_FILE).read_bytes() == (monthly / TRUTH_FILE).read_bytes()
    day_truth = json.loads((daily_dirty / TRUTH_FILE).read_text())
    month_truth = json.loads((monthly_dirty / TRUTH_FILE).read_text())
    # Only the name of the re-delivered file differs: the last day's file, not the month's.
    assert day_truth.pop("redelivered_files") == [RESEND]
    assert month_truth.pop("redelivered_files") == ["transactions/transactions_2026-10_resend.csv"]
    assert day_truth == month_truth
    assert sum(day_truth["dirty"]["transactions"].values()) > 0


def test_dirty_days_are_the_clean_days_plus_the_resend_of_the_last_day(
    daily: Path, daily_dirty: Path
) -> None:
    for source in SOURCES:
        extra = ["transactions_2026-10-31_resend.csv"] if source == "transactions" else []
        assert _names(daily_dirty, source) == sorted(_names(daily, source) + extra), source
    assert (daily_dirty / RESEND).read_bytes() == (
        daily_dirty / "transactions" / "transactions_2026-10-31.csv"
    ).read_bytes()


def test_duplicates_come_in_a_later_day_than_their_original(daily_dirty: Path) -> None:
    con = _connect(daily_dirty)
    for source, key in (("transactions", "transaction_id"), ("recall_touches", "touch_id")):
        pairs = con.execute(
            f"""
            select count(*), count(*) filter (where first_day < last_day) from (
                select min(file_day) as first_day, max(file_day) as last_day
                from {source} where {key} is not null group by {key} having count(*) > 1
            )
            """
        ).fetchone()
        assert pairs[0] > 0 and pairs[0] == pairs[1], source


def test_a_day_by_day_delivery_brings_contacts_and_campaigns_before_their_rows(
    daily: Path,
) -> None:
    # Delivered day by day, no clean row waits for a contact or a campaign of a later day.
    con = _connect(daily)
    for source in ("transactions", "recall_touches"):
        early, joined, rows = con.execute(
            f"""
            select count(*) filter (where r.file_day < c.first_day), count(*),
                (select count(*) from {source})
            from {source} as r
            inner join (select contact_id, min(file_day) as first_day from contacts group by all)
                as c using (contact_id)
            """
        ).fetchone()
        assert (early, joined) == (0, rows), source
    early, touches = con.execute(
        """
        select count(*) filter (where t.file_day < c.file_day), count(*)
        from recall_touches as t inner join campaigns as c using (campaign_id)
        """
    ).fetchone()
    assert (early, touches) == (0, con.execute("select count(*) from recall_touches").fetchone()[0])


def test_the_same_seed_gives_byte_identical_daily_files(daily: Path, tmp_path: Path) -> None:
    generate(tmp_path, customers=CUSTOMERS, seed=SEED, daily_files=True)
    assert _digests(tmp_path) == _digests(daily)


# --- deliver_days ---------------------------------------------------------------------------


def test_deliver_days_copies_exactly_the_files_up_to_the_day(
    daily_dirty: Path, tmp_path: Path
) -> None:
    target = tmp_path / "landing"
    first = deliver_days(daily_dirty, target, through=date(2024, 11, 1))
    delivered = _digests(target)
    assert [p.relative_to(target).as_posix() for p in first] == list(delivered)
    expected = {
        path: digest
        for path, digest in _digests(daily_dirty).items()
        if path != TRUTH_FILE and re.search(r"_(\d{4}-\d{2}-\d{2})", path)[1] <= "2024-11-01"
    }
    assert delivered == expected
    assert {s: sum(p.startswith(f"{s}/") for p in delivered) for s in SOURCES} == {
        "contacts": 130,
        "transactions": 315,
        "recall_touches": 0,
        "campaigns": 1,
    }
    assert "campaigns/campaigns_2024-11-01.csv" in delivered

    # The next day brings that day's files only, and leaves the delivered ones alone.
    mtimes = {p: p.stat().st_mtime_ns for p in first}
    second = deliver_days(daily_dirty, target, through=date(2024, 11, 2))
    assert [p.relative_to(target).as_posix() for p in second] == [
        "recall_touches/recall_touches_2024-11-02.csv",
        "transactions/transactions_2024-11-02.csv",
    ]
    assert {p: p.stat().st_mtime_ns for p in first} == mtimes
    assert deliver_days(daily_dirty, target, through=date(2024, 11, 2)) == []


def test_delivering_the_last_ten_days_one_by_one_rebuilds_the_landing(
    daily_dirty: Path, tmp_path: Path
) -> None:
    days = landing_days(daily_dirty)
    assert (len(days), days[0], days[-1]) == (1056, date(2023, 11, 4), date(2026, 10, 31))
    assert days[-10:] == [date(2026, 10, 22) + timedelta(days=i) for i in range(10)]
    deliver_days(daily_dirty, tmp_path, through=days[-11])
    for day in days[-10:]:
        copied = deliver_days(daily_dirty, tmp_path, through=day)
        assert copied, day
        assert {file_day(p) for p in copied} == {day}
    # The resend is dated like its original, so it comes with the last day.
    assert tmp_path / RESEND in copied
    everything = _digests(daily_dirty)
    del everything[TRUTH_FILE]
    assert _digests(tmp_path) == everything


def test_deliver_days_also_delivers_undated_files(daily: Path, tmp_path: Path) -> None:
    landing = tmp_path / "daily"
    deliver_days(daily, landing, through=date(2024, 11, 1))
    (landing / "currency_rates").mkdir()
    (landing / "currency_rates" / "rates.csv").write_text("rate_date,currency,value_in_base\n")
    (landing / "notes.txt").write_text("not a landing file")
    target = tmp_path / "target"
    copied = deliver_days(landing, target, through=date(2023, 11, 4))
    assert [p.relative_to(target).as_posix() for p in copied] == [
        "contacts/contacts_2023-11-04.csv",
        "currency_rates/rates.csv",
    ]


def test_deliver_days_refuses_monthly_files_and_changed_files(
    monthly: Path, daily: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="monthly landing file"):
        deliver_days(monthly, tmp_path / "a", through=date(2026, 10, 31))
    with pytest.raises(ValueError, match="no landing files"):
        deliver_days(tmp_path / "empty", tmp_path / "b", through=date(2026, 10, 31))
    target = tmp_path / "c"
    deliver_days(daily, target, through=date(2023, 11, 4))
    (target / "contacts" / "contacts_2023-11-04.csv").write_text("changed\n")
    with pytest.raises(FileExistsError, match="other content"):
        deliver_days(daily, target, through=date(2023, 11, 9))


def test_file_day_reads_the_day_of_a_daily_file_name() -> None:
    assert file_day(Path("transactions/transactions_2026-10-31.csv")) == date(2026, 10, 31)
    assert file_day(Path("transactions_2026-10-31_resend.parquet")) == date(2026, 10, 31)
    assert file_day(Path("campaigns/campaigns.csv")) is None
    with pytest.raises(ValueError, match="monthly"):
        file_day(Path("transactions_2026-10.csv"))


# --- command line ---------------------------------------------------------------------------


def test_recall_generate_daily_files(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        main, ["generate", "--daily-files", "--customers", "50", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"Landing files written to {out}" in result.output
    generate(tmp_path / "api", customers=50, seed=SAMPLE_SEED, daily_files=True)
    assert _digests(out) == _digests(tmp_path / "api")
    for source in SOURCES:
        names = _names(out, source)
        assert names and all(re.fullmatch(DAILY_NAME, n) for n in names), source
