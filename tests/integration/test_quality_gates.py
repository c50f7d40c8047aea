"""Write-audit-publish through the real Dagster job: a delivery or a build that fails a gate
publishes nothing, and the BI file keeps its bytes."""

from __future__ import annotations

import csv
import dataclasses
import shutil
import uuid
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, ExecuteInProcessResult
from integration_helpers import copy_home, sha256

from orchestration.checks.suites import warehouse_expectations
from orchestration.contract import SOURCES_BY_NAME
from orchestration.lib.build_copy import RUN_ID_FILE, start_build
from orchestration.runner import RunOutcome, failure_messages, run_pipeline
from orchestration.settings import Settings
from orchestration.transform.spark import JAVA_NEEDED

pytestmark = pytest.mark.integration

BAD_ROWS = 200
PUBLISHED = AssetKey(["published", "recall_duckdb"])
TRANSACTION_COLUMNS = SOURCES_BY_NAME["transactions"].column_names


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _run(settings: Settings) -> RunOutcome:
    with DagsterInstance.ephemeral() as instance:
        return run_pipeline(settings, instance=instance)


@pytest.fixture
def settings(tmp_path: Path, published_home: Path, landings) -> Settings:
    """A copy of a home with one good publication, and a copy of its landing directory."""
    home = copy_home(published_home, tmp_path / "home")
    landing = tmp_path / "landing"
    shutil.copytree(landings[0], landing)
    return Settings(home=home, landing_dir=landing)


def _check_and_publish(settings: Settings, run_id: str) -> ExecuteInProcessResult:
    """The checks between dbt and the publication, and the publication, of the real job, on
    the build copy of ``run_id`` as it stands."""
    # These need the dbt manifest, which the session's dbt_manifest fixture prepares.
    from orchestration.checks.assets import published_volume, transactions_freshness
    from orchestration.definitions import RECALL_JOB_NAME, build_definitions

    job = build_definitions(settings).resolve_job_def(RECALL_JOB_NAME)
    checks = {
        *published_volume.check_keys,
        *transactions_freshness.check_keys,
        *warehouse_expectations.check_keys,
    }
    subset = job.get_subset(asset_selection={PUBLISHED}, asset_check_selection=checks)
    with DagsterInstance.ephemeral() as instance:
        return subset.execute_in_process(run_id=run_id, instance=instance, raise_on_error=False)


def _deliver_unknown_currency(landing: Path) -> Path:
    path = landing / "transactions" / "2026-11-extra.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRANSACTION_COLUMNS)
        for number in range(BAD_ROWS):
            row = (f"X{number:05d}", "C0000001", "2026-10-30T10:00:00+00:00", "purchase")
            writer.writerow([*row, "12.50", "XYZ", "web", "groceries"])
    return path


def test_a_delivery_in_an_unknown_currency_fails_and_leaves_the_bi_file_untouched(
    settings: Settings,
) -> None:
    published = sha256(settings.published_path)
    working = sha256(settings.warehouse_path)
    _deliver_unknown_currency(settings.landing_dir)

    outcome = _run(settings)

    assert not outcome.success
    assert sha256(settings.published_path) == published
    assert sha256(settings.warehouse_path) == working
    assert len(outcome.failures) == 1
    failure = outcome.failures[0]
    assert failure.startswith(
        f"check max_quarantine_share on raw/transactions failed: transactions: {BAD_ROWS} of "
        f"{BAD_ROWS} rows read in this run were quarantined (100.0%, above "
        "max_quarantine_share 0.05). Top reasons: unknown_currency 200, e.g. "
        "2026-11-extra.csv row 1 (currency 'XYZ' has no rates"
    )
    assert '"transaction_id":"X00000"' in failure
    assert "nothing was published" in outcome.format_failure()

    # The operator reads the held-back rows without opening any DuckDB file.
    with outcome.quarantine_file.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert outcome.quarantine_file.parent == settings.quarantine_dir
    assert len(rows) == BAD_ROWS
    assert {(r["status"], r["source"], r["reason"]) for r in rows} == {
        ("quarantined", "transactions", "unknown_currency")
    }
    assert [int(r["row_number"]) for r in rows] == list(range(1, BAD_ROWS + 1))

    # The failed build stays for inspection; the working file above never saw the delivery.
    assert _query(
        settings.build_path,
        "select count(*) from ingest.quarantine where reason = 'unknown_currency'",
    ) == [(BAD_ROWS,)]


def test_a_run_on_spark_where_java_is_missing_fails_at_the_build_saying_what_to_do(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A scheduled or UI run takes its engine from the settings file, after `recall run`'s
    # own check: the build step refuses before dbt starts.
    monkeypatch.setenv("PATH", str(tmp_path / "no-java"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    published = sha256(settings.published_path)

    outcome = _run(dataclasses.replace(settings, engine="spark"))

    assert not outcome.success
    assert outcome.failures == [f"recall_dbt_models: {JAVA_NEEDED}"]
    assert sha256(settings.published_path) == published
    assert not (settings.home / "spark").exists()


def test_a_table_shrinking_below_the_volume_ratio_fails_unless_the_shrink_is_allowed(
    settings: Settings,
) -> None:
    published = sha256(settings.published_path)
    (before,) = _query(settings.published_path, "select count(*) from fct_transactions")[0]
    earlier = Settings(
        home=settings.home, landing_dir=settings.landing_dir, as_of_date=date(2024, 1, 31)
    )

    outcome = _run(earlier)

    assert not outcome.success
    assert sha256(settings.published_path) == published
    (after,) = _query(earlier.build_path, "select count(*) from marts.fct_transactions")[0]
    assert after < before / 2
    assert (
        "check min_volume_ratio on marts/fct_transactions failed: fct_transactions: "
        f"{after:,} rows against {before:,} in the last publication"
    ) in "\n".join(outcome.failures)

    # The same build, checked and published again with --allow-shrink: the failed run kept
    # it, so the checks and the publication of the job run on it alone.
    allowed = dataclasses.replace(earlier, allow_shrink=True)
    run_id = str(uuid.uuid4())
    (settings.build_path.parent / RUN_ID_FILE).write_text(run_id, encoding="utf-8")
    result = _check_and_publish(allowed, run_id)

    assert result.success
    assert _query(settings.published_path, "select count(*) from fct_transactions") == [(after,)]


def test_a_planted_bad_mart_row_blocks_publication_with_one_clear_message(
    settings: Settings,
) -> None:
    """The checks and the publication of the real job, on a build whose KPI mart has one
    recall rate above 1, as a faulty model would leave it between dbt and the checks."""
    published = sha256(settings.published_path)
    run_id = str(uuid.uuid4())
    build = start_build(settings, run_id)  # the marts as the last dbt build left them
    with duckdb.connect(str(build)) as con:
        month, channel, tier, campaign = con.execute(
            "update marts.recall_kpis_monthly set recall_rate = 1.5 where rowid = "
            "(select min(rowid) from marts.recall_kpis_monthly where contacted_customers > 0) "
            "returning month, channel, recall_tier, campaign_id"
        ).fetchone()
    result = _check_and_publish(settings, run_id)

    assert not result.success
    assert sha256(settings.published_path) == published
    assert not any(
        e.step_key == "published__recall_duckdb" for e in result.all_events if e.is_step_start
    )
    (failure,) = failure_messages(result)
    assert failure.startswith(
        "check expectations on marts/recall_kpis_monthly failed: marts.recall_kpis_monthly: "
        "recall_rate in [0, 1]: 1 unexpected row, e.g. {"
    )
    assert "1.5" in failure and str(month) in failure and campaign in failure
    assert (channel, tier) != (None, None)
