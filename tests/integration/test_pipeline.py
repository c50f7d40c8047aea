"""A whole run on generated data: ingest -> dbt build -> publish, through the real Dagster
definitions, twice (the second run must load nothing new)."""

from __future__ import annotations

import collections
import csv
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from sample_data import generate

pytestmark = pytest.mark.integration

CUSTOMERS = 3_000
PUBLISHED_TABLES = [
    "customer_lifecycle",
    "customer_lifecycle_monthly",
    "dim_campaigns",
    "dim_customers",
    "early_warning",
    "fct_recall_touches",
    "fct_transactions",
    "lapse_reasons_monthly",
    "lapse_tiers",
    "lapsed_pool_monthly",
    "lifecycle_flows_monthly",
    "recall_kpis_closed",
    "recall_kpis_monthly",
    "recall_kpis_restatements",
]


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> Path:
    return tmp_path_factory.mktemp("pipeline")


@pytest.fixture(scope="module")
def settings(home: Path) -> Settings:
    return Settings(home=home, landing_dir=home / "landing")


@pytest.fixture(scope="module")
def truth(settings: Settings) -> dict:
    generate(settings.landing_dir, customers=CUSTOMERS, seed=7, dirty_rate=0.02)
    return json.loads((settings.landing_dir / "truth.json").read_text())


@pytest.fixture(scope="module")
def first_run(settings: Settings, truth: dict):
    with DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(settings, instance=instance)
    assert outcome.success, outcome.format_failure()
    return outcome


def test_published_file_holds_exactly_the_marts_and_opens_read_only_elsewhere(
    settings: Settings, first_run
) -> None:
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(sorted(r[0] for r in con.execute('show tables').fetchall()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(settings.published_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == str(PUBLISHED_TABLES)


def test_published_file_has_no_personal_data(settings: Settings, first_run) -> None:
    columns = _query(settings.published_path, "select column_name from duckdb_columns()")
    names = {c for (c,) in columns}
    assert not names & {"full_name", "email", "phone"}
    assert "customer_id" in names


def test_every_file_reconciles_and_quarantine_matches_the_planted_bad_rows(
    settings: Settings, truth: dict, first_run
) -> None:
    assert _query(
        settings.warehouse_path,
        "select count(*) from ingest.file_reconciliation where not reconciles",
    ) == [(0,)]
    quarantined = dict(
        ((source, reason), n)
        for source, reason, n in _query(
            settings.warehouse_path,
            "select source, reason, count(*) from ingest.quarantine group by all",
        )
    )
    planted = {
        (source, reason): n
        for source, reasons in truth["dirty"].items()
        for reason, n in reasons.items()
        if n
    }
    assert quarantined == planted
    duplicates = dict(
        _query(
            settings.warehouse_path,
            "select source, sum(rows_duplicate) from ingest.file_reconciliation "
            "group by all having sum(rows_duplicate) > 0",
        )
    )
    assert duplicates == {k: v for k, v in truth["exact_duplicates"].items() if v}


def test_planted_bad_rows_are_quarantined_not_fatal_and_listed_for_the_operator(
    settings: Settings, truth: dict, first_run
) -> None:
    """The run published, and its quarantine file lists each planted bad row (and each row
    parked for an unknown contact) with its file and row number."""
    assert first_run.success
    with first_run.quarantine_file.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    listed = collections.Counter(
        (r["source"], r["reason"]) for r in rows if r["status"] == "quarantined"
    )
    planted = {
        (source, reason): n
        for source, reasons in truth["dirty"].items()
        for reason, n in reasons.items()
        if n
    }
    assert dict(listed) == planted
    (parked,) = _query(
        settings.warehouse_path,
        "select (select count(*) from ingest.parked_transactions)"
        " + (select count(*) from ingest.parked_recall_touches)",
    )[0]
    assert sum(r["status"] == "parked" for r in rows) == parked
    assert all(r["file_name"] and int(r["row_number"]) >= 1 for r in rows)
    assert str(first_run.quarantine_file) in first_run.format_summary(1.0)


def test_without_an_as_of_date_the_run_describes_the_latest_transaction_date(
    settings: Settings, truth: dict, first_run
) -> None:
    # UTC reporting: the latest local date is the UTC date of the latest raw timestamp.
    (latest_raw,) = _query(
        settings.warehouse_path, "select cast(max(occurred_at) as date) from raw.transactions"
    )[0]
    assert _query(
        settings.published_path, "select distinct as_of_date from customer_lifecycle"
    ) == [(latest_raw,)]
    assert latest_raw == date.fromisoformat(truth["end_date"])


def test_second_run_loads_nothing_new_and_publishes_the_same_tables(
    settings: Settings, first_run
) -> None:
    before = _query(
        settings.warehouse_path,
        "select source, count(*) from ingest.load_manifest group by all order by 1",
    )
    counts_before = {
        t: _query(settings.published_path, f"select count(*) from {t}")[0][0]
        for t in PUBLISHED_TABLES
    }
    with DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(settings, instance=instance)
    assert outcome.success, outcome.format_failure()
    assert (
        _query(
            settings.warehouse_path,
            "select source, count(*) from ingest.load_manifest group by all order by 1",
        )
        == before
    )
    assert {
        t: _query(settings.published_path, f"select count(*) from {t}")[0][0]
        for t in PUBLISHED_TABLES
    } == counts_before
    # The home's dbt target folder keeps the last run's parse, and what changes between runs
    # (D, where the new facts start) is no --vars change: dbt parses only what changed.
    log = outcome.log_file.read_text(encoding="utf-8")
    assert "Running with dbt=" in log
    assert "Unable to do partial parsing" not in log


def test_an_earlier_as_of_date_cuts_the_marts(settings: Settings, first_run) -> None:
    as_of = date(2026, 6, 30)
    earlier = Settings(home=settings.home, landing_dir=settings.landing_dir, as_of_date=as_of)
    with DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(earlier, instance=instance)
    assert outcome.success, outcome.format_failure()
    assert _query(settings.published_path, "select max(occurred_date) from fct_transactions") == [
        (as_of,)
    ]
    assert _query(
        settings.published_path,
        "select max(sent_date) <= date '2026-06-30' from fct_recall_touches",
    ) == [(True,)]
    assert _query(
        settings.published_path,
        "select count(*) from dim_customers where signup_date > date '2026-06-30'",
    ) == [(0,)]
