"""Nightly builds add the new facts to the last build and publish exactly what a full build
of the same landing publishes; a var change rebuilds in full, and late data is counted where
it belongs and said (orchestration/transform/build_state.py, macros/new_facts.sql,
macros/states_from.sql)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance
from integration_helpers import copy_home, differences

from orchestration.runner import run_pipeline
from orchestration.settings import Settings, load_settings
from sample_data import generate
from sample_data.delivery import deliver_days, landing_days

pytestmark = [pytest.mark.integration, pytest.mark.long]

DAYS_DELIVERED_ONE_BY_ONE = 10
# The publish step's line, and what it says of the tables it brought up to date in place.
PUBLISHED_HOW = re.compile(r"Publishing the checked marts to \S+( \((.*)\))?$", re.M)


def _build_how(home: Path) -> str:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select how from transform.build_state").fetchone()[0]


def _run(settings: Settings, business_date: date):
    with DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(settings, instance=instance, business_date=business_date)
    assert outcome.success, outcome.format_failure()
    return outcome


@pytest.fixture(scope="module")
def daily_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("daily") / "landing"
    generate(landing, customers=200, seed=12, daily_files=True)
    return landing


@pytest.fixture(scope="module")
def day_by_day_home(
    daily_landing: Path, tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path
) -> tuple[Path, list[tuple[str, str | None]]]:
    """A home built in full up to 10 days before the end of the landing, then delivered and
    run one day at a time through the nightly job; with how each nightly run built."""
    home = tmp_path_factory.mktemp("day_by_day") / "home"
    settings = Settings(home=home, landing_dir=home / "landing")
    days = landing_days(daily_landing)
    first, nightly = days[-DAYS_DELIVERED_ONE_BY_ONE - 1], days[-DAYS_DELIVERED_ONE_BY_ONE:]
    deliver_days(daily_landing, settings.landing_dir, through=first)
    _run(settings, first)
    builds = []
    for day in nightly:
        deliver_days(daily_landing, settings.landing_dir, through=day)
        outcome = _run(settings, day)
        published = outcome.log_file.read_text(encoding="utf-8")
        builds.append((_build_how(home), PUBLISHED_HOW.search(published).group(2)))
    return home, builds


def _full_build(landing: Path, home: Path, business_date: date, **options) -> Path:
    """A new home that builds ``landing`` in one run; its published file."""
    shutil.copytree(landing, home / "landing")
    settings = Settings(home=home, landing_dir=home / "landing", **options)
    _run(settings, business_date)
    assert _build_how(home).startswith("full rebuild: the first build")
    return settings.published_path


def test_day_by_day_nightly_runs_publish_what_one_full_build_publishes(
    day_by_day_home: tuple[Path, list[tuple[str, str | None]]], daily_landing: Path, tmp_path: Path
) -> None:
    home, builds = day_by_day_home
    # Each night evaluates customer state again from the last night's D (nothing earlier
    # moved), and publishes the transactions by adding the new ones to the BI file, and the
    # customer month ends by replacing those from that D on.
    last_nights = landing_days(daily_landing)[-DAYS_DELIVERED_ONE_BY_ONE - 1 : -1]
    assert builds == [
        (
            "incremental: the facts that arrived since the last build are added, and customer "
            f"states evaluated again from {last_night}",
            "adding the new rows of fct_transactions; replacing customer_lifecycle_monthly "
            f"from {last_night}",
        )
        for last_night in last_nights
    ]
    full = _full_build(home / "landing", tmp_path / "full", landing_days(daily_landing)[-1])

    compared = differences(home / "published" / "recall.duckdb", full)
    assert {table: (a, b) for table, (a, b, _) in compared.items() if a or b} == {}
    assert compared["fct_transactions"][2] > 3_000


def test_a_var_change_rebuilds_everything_under_the_new_threshold(
    day_by_day_home: tuple[Path, list[tuple[str, str | None]]], daily_landing: Path, tmp_path: Path
) -> None:
    home = copy_home(day_by_day_home[0], tmp_path / "home")
    settings = load_settings(
        {"RECALL_HOME": str(home), "RECALL_LANDING": str(home / "landing")},
        var_options=["active_days=45"],
    )
    _run(settings, landing_days(daily_landing)[-1])

    assert _build_how(home) == "full rebuild: the dbt vars changed (active_days default -> 45)"
    with duckdb.connect(str(home / "published" / "recall.duckdb"), read_only=True) as con:
        # R of 31..45 days was at risk under active_days 30; under 45 it is not, at D and at
        # every month end of the history.
        for table in ("customer_lifecycle", "customer_lifecycle_monthly"):
            stages = dict(
                con.execute(
                    f"select stage = 'at_risk', count(*) from {table} "
                    "where r_days between 31 and 45 group by all"
                ).fetchall()
            )
            assert stages.get(True, 0) == 0, table
            assert stages[False] > 0, table


def test_late_data_inside_a_final_month_is_counted_where_it_belongs_and_said(
    day_by_day_home: tuple[Path, list[tuple[str, str | None]]], daily_landing: Path, tmp_path: Path
) -> None:
    home = copy_home(day_by_day_home[0], tmp_path / "home")
    published = home / "published" / "recall.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        # A customer newly lapsed in July: the late purchase of 15 July is their last one at
        # the month end, and takes them out of July's newly_lapsed.
        customer = con.execute(
            "select customer_id from customer_lifecycle_monthly "
            "where month_end = '2026-07-31' and stage = 'lapsed' and customer_id in ("
            "select customer_id from customer_lifecycle_monthly "
            "where month_end = '2026-06-30' and stage <> 'lapsed') "
            "order by customer_id limit 1"
        ).fetchone()[0]
        closed_july = con.execute(
            "select * from recall_kpis_closed where month = '2026-07-01' order by all"
        ).fetchall()
        newly_lapsed = con.execute(
            "select newly_lapsed from recall_kpis_monthly where month = '2026-07-01' "
            "and channel = 'all' and recall_tier = 'all' and campaign_id = 'all'"
        ).fetchone()[0]
    late = home / "landing" / "transactions" / "transactions_late_2026-07-15.csv"
    late.write_text(
        "transaction_id,contact_id,occurred_at,kind,amount,currency,store_or_channel,category\n"
        f"late-1,{customer},2026-07-15T12:00:00+00:00,purchase,123.45,USD,web,late\n",
        encoding="utf-8",
    )
    last_day = landing_days(daily_landing)[-1]
    settings = Settings(home=home, landing_dir=home / "landing")
    outcome = _run(settings, last_day)

    assert _build_how(home) == (
        "incremental: the facts that arrived since the last build are added, and customer "
        "states evaluated again from 2026-07-15; late data: 1 "
        f"transactions and 0 touches dated inside months final at {last_day} (from "
        "2026-07-15); their figures are recomputed"
    )
    assert "late data: 1 transactions" in outcome.format_summary(seconds=0)
    with duckdb.connect(str(published), read_only=True) as con:
        # July closed before the late purchase: its closed rows stay as they were, and the
        # change shows as a restatement.
        assert (
            closed_july
            and con.execute(
                "select * from recall_kpis_closed where month = '2026-07-01' order by all"
            ).fetchall()
            == closed_july
        )
        assert con.execute(
            "select column_name, closed_value, current_value, difference "
            "from recall_kpis_restatements where month = '2026-07-01' and channel = 'all' "
            "and recall_tier = 'all' and campaign_id = 'all' order by column_name"
        ).fetchall() == [
            ("net_lapsed_change", *_restated(con, "net_lapsed_change")),
            ("newly_lapsed", newly_lapsed, newly_lapsed - 1, -1.0),
        ]
    # A full build of the same landing closes July only now, with the late purchase.
    full = _full_build(home / "landing", tmp_path / "full", last_day)
    compared = differences(published, full, skip=("recall_kpis_closed", "recall_kpis_restatements"))
    assert {table: (a, b) for table, (a, b, _) in compared.items() if a or b} == {}
    with duckdb.connect(str(full), read_only=True) as con:
        assert con.execute(
            "select r_days from customer_lifecycle_monthly "
            "where customer_id = ? and month_end = '2026-07-31'",
            [customer],
        ).fetchone() == (16,)


def _restated(con: duckdb.DuckDBPyConnection, column: str) -> tuple[float, float, float]:
    """The closed and current value of a July grand-total figure, and their difference."""
    closed, current = con.execute(
        f"select c.{column}, m.{column} from recall_kpis_closed as c "
        "join recall_kpis_monthly as m using (month, channel, recall_tier, campaign_id) "
        "where month = '2026-07-01' and channel = 'all' and recall_tier = 'all' "
        "and campaign_id = 'all'"
    ).fetchone()
    return closed, current, current - closed
