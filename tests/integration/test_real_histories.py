"""Histories older than the shipped rates, in one currency (SPEC §4), run the way an operator
runs them: the installed script from cron with a bare PATH, then another reporting currency
whose rates arrive as a landing file."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from sample_data import generate

pytestmark = pytest.mark.integration

END = date(1998, 12, 31)
NEW_YORK = "America/New_York"
# One US dollar in the base currency (EUR) for the landed rates of the EUR run.
USD_IN_EUR = "0.8562"


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A 1996-1998 USD purchase history (rates ship from 2022 only)."""
    landing = tmp_path_factory.mktemp("usd_1998") / "landing"
    generate(landing, customers=300, seed=3, end_date=END, currency="USD")
    return landing, json.loads((landing / "truth.json").read_text())


@pytest.fixture(scope="module")
def cron_run(tmp_path_factory: pytest.TempPathFactory, history, dbt_manifest: Path):
    """`recall run` started by its full path with PATH=/usr/bin:/bin, as cron does."""
    landing, _ = history
    home = tmp_path_factory.mktemp("cron") / "home"
    script = Path(sys.executable).parent / "recall"
    result = subprocess.run(
        [str(script), "run", "--landing", str(landing), "--timezone", NEW_YORK],
        env={"PATH": "/usr/bin:/bin", "RECALL_HOME": str(home)},
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return home, result


def test_the_installed_script_runs_from_cron_with_a_bare_path(cron_run) -> None:
    home, result = cron_run
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published in" in result.stdout
    assert "Traceback" not in result.stderr
    assert (home / "published" / "recall.duckdb").is_file()


def test_a_usd_history_older_than_the_rates_loads_every_row_in_usd(history, cron_run) -> None:
    _, truth = history
    home, result = cron_run
    assert result.returncode == 0, result.stdout + result.stderr
    warehouse = home / "warehouse.duckdb"
    assert _query(warehouse, "select count(*) from ingest.quarantine") == [(0,)]
    loaded = {
        source: _query(warehouse, f"select count(*) from raw.{source}")[0][0]
        for source in ("transactions", "recall_touches", "campaigns")
    }
    assert loaded == {s: truth["counts"][s] for s in loaded}
    published = home / "published" / "recall.duckdb"
    assert _query(
        published,
        "select count(*), min(occurred_date), max(occurred_date), "
        "count(*) filter (where amount_reporting <> amount) from fct_transactions",
    ) == [(truth["counts"]["transactions"], date(1996, 1, 2), END, 0)]


def _write_rates(landing: Path, first: date, last: date) -> None:
    folder = landing / "currency_rates"
    folder.mkdir()
    with (folder / "rates_1996_1998.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rate_date", "currency", "value_in_base"])
        day = first
        while day <= last:
            writer.writerow([day.isoformat(), "USD", USD_IN_EUR])
            writer.writerow([day.isoformat(), "EUR", "1"])
            day += timedelta(days=7)


def test_in_eur_the_history_is_refused_until_its_rates_land(
    tmp_path: Path, history, dbt_manifest: Path
) -> None:
    source_landing, truth = history
    landing = tmp_path / "landing"
    shutil.copytree(source_landing, landing)
    settings = Settings(
        home=tmp_path / "home",
        landing_dir=landing,
        timezone=NEW_YORK,
        currency="EUR",
        as_of_date=END,
    )
    facts = ("campaigns", "recall_touches", "transactions")
    # Every fact lacks a rate: far above max_quarantine_share, so the run publishes nothing
    # and says why.
    with DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(settings, instance=instance)
    assert not outcome.success
    assert not settings.published_path.exists()
    assert any(
        f.startswith("check max_quarantine_share on raw/transactions failed: transactions: ")
        and "Top reasons: no_rate_for_date" in f
        for f in outcome.failures
    ), outcome.failures

    # The refused delivery left nothing behind: once its rates land, it loads in full.
    _write_rates(landing, date(1995, 12, 1), END)
    with DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(settings, instance=instance)
    assert outcome.success, outcome.format_failure()

    assert _query(settings.warehouse_path, "select count(*) from ingest.quarantine") == [(0,)]
    assert _query(
        settings.warehouse_path,
        "select source, sum(rows_loaded) from ingest.file_reconciliation "
        "where source <> 'contacts' and source <> 'currency_rates' group by 1 order by 1",
    ) == [(source, truth["counts"][source]) for source in facts]
    assert _query(
        settings.warehouse_path,
        "select count(*) from ingest.file_reconciliation where not reconciles",
    ) == [(0,)]
    assert _query(
        settings.published_path,
        "select count(*), count(*) filter (where amount_reporting "
        f"<> round(amount * {USD_IN_EUR}, 2)) from fct_transactions",
    ) == [(truth["counts"]["transactions"], 0)]
