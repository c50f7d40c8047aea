"""The monthly finance report (SPEC §8): `recall report --month`, read from the published file,
and the Dagster asset on its monthly schedule; and the dbt docs site the run publishes."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dagster import materialize
from integration_helpers import RECALL, copy_home, recall_environment
from openpyxl import load_workbook
from PIL import Image

from orchestration.report.assets import REPORT_JOB_NAME, REPORT_SCHEDULE_NAME, monthly_recall_report
from orchestration.settings import Settings

pytestmark = pytest.mark.integration

SHEETS = [
    "Summary",
    "By channel",
    "By tier",
    "By campaign",
    "12-month trend",
    "Restatements",
    "Definitions",
]


@pytest.fixture(scope="module")
def home(published_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_home(published_home, tmp_path_factory.mktemp("report") / "home")


def _published(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "published" / "recall.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _report(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(RECALL), "report", *args],
        env=recall_environment(home),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _months(home: Path) -> tuple[date, date]:
    """The latest final month and D's month."""
    return _published(
        home,
        "select max(month) filter (where is_final), max(month) from recall_kpis_monthly",
    )[0]


def _number(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


def test_the_report_of_a_final_month_holds_the_published_figures(home: Path) -> None:
    final, _ = _months(home)

    result = _report(home, "--month", f"{final:%Y-%m}")

    assert result.returncode == 0, result.stdout + result.stderr
    reports = home / "reports"
    book = load_workbook(reports / f"recall_report_{final:%Y-%m}.xlsx", read_only=True)
    assert book.sheetnames == SHEETS
    assert str(reports / f"recall_report_{final:%Y-%m}.xlsx") in result.stdout
    summary = dict(book["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["month"] == f"{final:%Y-%m}"
    assert summary["status"].startswith("FINAL")
    (total,) = _published(
        home,
        "select recall_rate, recalled_customers, cost from recall_kpis_monthly where month = ? "
        "and channel = 'all' and recall_tier = 'all' and campaign_id = 'all'",
        [final],
    )
    assert (summary["recall_rate"], summary["recalled_customers"], summary["cost"]) == (
        total[0],
        total[1],
        float(total[2]),
    )
    # Every breakdown row and figure, exactly as BI reads it.
    for sheet, where in (
        ("By channel", "channel <> 'all' and recall_tier = 'all' and campaign_id = 'all'"),
        ("By tier", "channel = 'all' and recall_tier <> 'all' and campaign_id = 'all'"),
        ("By campaign", "channel = 'all' and recall_tier = 'all' and campaign_id <> 'all'"),
    ):
        expected = _published(
            home,
            f"select * from recall_kpis_monthly where month = ? and {where} "
            "order by month, channel, recall_tier, campaign_id",
            [final],
        )
        rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
        assert expected, sheet
        assert [tuple(_number(v) for v in row) for row in expected] == [
            tuple(v.date() if hasattr(v, "date") and i == 0 else v for i, v in enumerate(row))
            for row in rows
        ], sheet
    trend = list(book["12-month trend"].iter_rows(min_row=2, values_only=True))
    assert len(trend) == min(
        12,
        _published(
            home, "select count(distinct month) from recall_kpis_monthly where month <= ?", [final]
        )[0][0],
    )
    definitions = dict(book["Definitions"].iter_rows(min_row=2, values_only=True))
    assert definitions["recall_rate"].startswith("recalled_customers / contacted_customers")
    assert all(definitions.values())
    # The same tables as CSV.
    with (reports / f"recall_report_{final:%Y-%m}" / "by_channel.csv").open() as handle:
        assert len(list(csv.reader(handle))) == len(list(book["By channel"].iter_rows()))
    # The chart: a valid PNG of a readable size.
    chart = reports / f"recall_report_{final:%Y-%m}.png"
    with Image.open(chart) as image:
        image.verify()
        assert image.format == "PNG" and image.size[0] >= 800
    assert chart.stat().st_size > 20_000


def test_the_report_of_the_current_month_says_it_is_provisional(home: Path) -> None:
    _, current = _months(home)

    result = _report(home, "--month", f"{current:%Y-%m}")

    assert result.returncode == 0, result.stdout + result.stderr
    book = load_workbook(home / "reports" / f"recall_report_{current:%Y-%m}.xlsx", read_only=True)
    summary = dict(book["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["status"].startswith("PROVISIONAL")
    assert "provisional" in result.stdout


@pytest.mark.parametrize(
    ("month", "code", "message"),
    [
        ("2026-13", 2, "'2026-13' is not a month: write it as YYYY-MM"),
        ("1999-01", 1, "The published file has no recall figures for 1999-01"),
    ],
)
def test_a_month_without_a_report_is_one_clear_message(
    home: Path, month: str, code: int, message: str
) -> None:
    result = _report(home, "--month", month)

    assert result.returncode == code
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_the_monthly_asset_reports_the_month_before_d_and_the_latest_final_month(
    published_home: Path, tmp_path: Path
) -> None:
    home = copy_home(published_home, tmp_path / "home")
    settings = Settings(home=home, landing_dir=tmp_path)
    final, current = _months(home)
    previous = date(current.year - (current.month == 1), (current.month - 2) % 12 + 1, 1)

    result = materialize([monthly_recall_report], resources={"recall": settings})

    assert result.success
    written = sorted(p.name for p in (settings.home / "reports").glob("*.xlsx"))
    assert written == sorted({f"recall_report_{m:%Y-%m}.xlsx" for m in (final, previous)})


def test_the_monthly_asset_without_a_published_file_says_to_run_first(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", landing_dir=tmp_path)

    result = materialize(
        [monthly_recall_report], resources={"recall": settings}, raise_on_error=False
    )

    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_failure_data.error.cause.message.startswith(
        f"orchestration.report.finance.ReportError: There is no published file at "
        f"{settings.published_path}: run `recall run` first"
    )


def test_the_report_has_its_own_monthly_schedule(dbt_manifest: Path, tmp_path: Path) -> None:
    from orchestration.definitions import build_definitions

    defs = build_definitions(Settings(home=tmp_path, landing_dir=tmp_path, timezone="Europe/Paris"))
    schedule = defs.resolve_schedule_def(REPORT_SCHEDULE_NAME)

    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 1 * *", "Europe/Paris")
    assert schedule.job_name == REPORT_JOB_NAME
    assert [
        k.to_user_string()
        for k in defs.resolve_job_def(REPORT_JOB_NAME).asset_layer.selected_asset_keys
    ] == ["reports/monthly_recall_report"]


def test_the_run_publishes_a_docs_site_that_describes_every_published_column(
    published_home: Path,
) -> None:
    page = (published_home / "docs" / "index.html").read_text(encoding="utf-8")
    # One file that opens offline: no script or style fetched from elsewhere.
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", page)
    manifest = json.loads((published_home / "dbt" / "target" / "manifest.json").read_text())
    described = {
        node["name"]: {c: v["description"] for c, v in node["columns"].items()}
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    columns = _published(
        published_home,
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main'",
    )
    assert len(columns) > 200
    assert [(t, c) for t, c in columns if not described[t].get(c, "").strip()] == []
    for table in {t for t, _ in columns}:
        assert table in page
