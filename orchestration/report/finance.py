"""The monthly recall-rate report for finance (SPEC §8): a spreadsheet, the same tables as CSV,
and a chart of the 12-month trend, under ``$RECALL_HOME/reports/``.

Every figure is read from the published BI file, so the report always equals what BI sees,
and every definition from the column comments the publication wrote from the dbt docs.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

KPIS = "recall_kpis_monthly"
TREND_MONTHS = 12
# The grand total and the three one-dimension breakdowns of recall_kpis_monthly.
ROWS_OF = {
    "By channel": "channel <> 'all' and recall_tier = 'all' and campaign_id = 'all'",
    "By tier": "channel = 'all' and recall_tier <> 'all' and campaign_id = 'all'",
    "By campaign": "channel = 'all' and recall_tier = 'all' and campaign_id <> 'all'",
}
GRAND_TOTAL = "channel = 'all' and recall_tier = 'all' and campaign_id = 'all'"
# The headline figures of the summary sheet, in order.
SUMMARY_FIGURES = (
    "lapsed_at_month_start",
    "touches",
    "contacted_customers",
    "recalled_customers",
    "recall_rate",
    "treated_return_rate",
    "control_customers",
    "control_rate",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "lift_stratified",
    "recalled_revenue",
    "cost",
    "cost_per_recall",
    "newly_lapsed",
    "net_lapsed_change",
    "retained_m1",
    "retained_m2",
    "retained_m3",
)


class ReportError(RuntimeError):
    """The report cannot be made: the message says why and what to do."""


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[str]
    rows: list[tuple]


@dataclass(frozen=True)
class Report:
    month: date
    is_final: bool
    retention_is_final: bool
    as_of_date: date
    spreadsheet: Path
    csv_dir: Path
    chart: Path

    @property
    def status(self) -> str:
        return "final" if self.is_final else "provisional"


def parse_month(text: str) -> date:
    """``YYYY-MM`` -> the first day of that month; ValueError naming the expected form."""
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError as error:
        raise ValueError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-09") from error


def open_published(published: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published file; ReportError when there is none yet."""
    if not published.exists():
        raise ReportError(
            f"There is no published file at {published}: run `recall run` first; the report "
            "reads the figures BI reads."
        )
    return duckdb.connect(str(published), read_only=True)


def build_report(published: Path, reports_dir: Path, month: date) -> Report:
    """Write the report of ``month`` (its first day) from the published file ``published``."""
    with open_published(published) as con:
        as_of_date = con.execute("select max(as_of_date) from customer_lifecycle").fetchone()[0]
        total = _table(con, "Summary", f"month = ? and {GRAND_TOTAL}", [month])
        if not total.rows:
            first, last = con.execute(f"select min(month), max(month) from {KPIS}").fetchone()
            raise ReportError(
                f"The published file has no recall figures for {month:%Y-%m} (it covers "
                f"{first:%Y-%m} to {last:%Y-%m}, as of {as_of_date}). Choose a month in that "
                "range, or run `recall run` with the data of that month first."
            )
        tables = [_summary(con, total, as_of_date, published)]
        tables += [
            _table(con, name, f"month = ? and {rows}", [month]) for name, rows in ROWS_OF.items()
        ]
        trend = _table(
            con,
            "12-month trend",
            f"month between ? and ? and {GRAND_TOTAL}",
            [_months_before(month, TREND_MONTHS - 1), month],
        )
        tables += [trend, _restatements(con, month), _definitions(con)]
    record = dict(zip(total.columns, total.rows[0], strict=True))
    stem = f"recall_report_{month:%Y-%m}"
    reports_dir.mkdir(parents=True, exist_ok=True)
    report = Report(
        month=month,
        is_final=bool(record["is_final"]),
        retention_is_final=bool(record["retention_is_final"]),
        as_of_date=as_of_date,
        spreadsheet=reports_dir / f"{stem}.xlsx",
        csv_dir=reports_dir / stem,
        chart=reports_dir / f"{stem}.png",
    )
    _write_spreadsheet(report.spreadsheet, tables)
    _write_csvs(report.csv_dir, tables)
    _write_chart(report.chart, trend, report)
    return report


def _table(con: duckdb.DuckDBPyConnection, name: str, where: str, params: list) -> Table:
    query = con.execute(
        f"select * from {KPIS} where {where} order by month, channel, recall_tier, campaign_id",
        params,
    )
    return Table(name, [c[0] for c in query.description], query.fetchall())


def _summary(
    con: duckdb.DuckDBPyConnection, total: Table, as_of_date: date, published: Path
) -> Table:
    record = dict(zip(total.columns, total.rows[0], strict=True))
    month = record["month"]
    restated = con.execute(
        "select count(*) from recall_kpis_restatements where month = ?", [month]
    ).fetchone()[0]
    status = (
        "FINAL: no later data can change the recall figures"
        if record["is_final"]
        else "PROVISIONAL: the recall figures can still change as purchases within the "
        "attribution window arrive"
    )
    retention = (
        "final" if record["retention_is_final"] else "provisional (retention still maturing)"
    )
    rows = [
        ("month", f"{month:%Y-%m}"),
        ("status", status),
        ("retention figures", retention),
        ("as of", as_of_date),
        ("read from", str(published)),
        ("restated figures", restated),
        *((figure, record[figure]) for figure in SUMMARY_FIGURES),
    ]
    return Table("Summary", ["item", "value"], rows)


def _restatements(con: duckdb.DuckDBPyConnection, month: date) -> Table:
    query = con.execute(
        "select * from recall_kpis_restatements where month = ? "
        "order by channel, recall_tier, campaign_id, column_name",
        [month],
    )
    return Table("Restatements", [c[0] for c in query.description], query.fetchall())


def _definitions(con: duckdb.DuckDBPyConnection) -> Table:
    """Every column of the KPI table with its published description (the dbt docs)."""
    rows = con.execute(
        "select column_name, comment from duckdb_columns() "
        "where table_name = ? order by column_index",
        [KPIS],
    ).fetchall()
    return Table("Definitions", ["column", "definition"], rows)


def _months_before(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _write_spreadsheet(path: Path, tables: list[Table]) -> None:
    # Imported here, as matplotlib below: the Dagster definitions import this module, and
    # every run and UI process would pay for them.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.name)
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_cell(value) for value in row])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            width = max([len(str(column))] + [len(str(r[index - 1])) for r in table.rows[:200]])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 80)
    temporary = path.with_name(f".{path.name}.tmp")
    book.save(temporary)
    temporary.replace(path)


def _cell(value: object) -> object:
    # Decimal figures (money) keep their cents; openpyxl writes them as numbers.
    return float(value) if hasattr(value, "as_tuple") else value


def _write_csvs(folder: Path, tables: list[Table]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        name = table.name.lower().replace(" ", "_").replace("-", "_")
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.columns)
            writer.writerows(table.rows)


def _write_chart(path: Path, trend: Table, report: Report) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no screen: render to files only
    import matplotlib.pyplot as plt

    rows = [dict(zip(trend.columns, row, strict=True)) for row in trend.rows]
    months = [f"{r['month']:%Y-%m}" for r in rows]
    x = range(len(rows))

    def series(name: str) -> list[float]:
        return [float("nan") if r[name] is None else float(r[name]) for r in rows]

    figure, (rates, lift) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    rates.plot(x, series("recall_rate"), marker="o", label="recall rate")
    rates.plot(x, series("treated_return_rate"), marker="s", label="contacted return rate")
    rates.plot(x, series("control_rate"), marker="^", label="control return rate")
    rates.set_ylabel("share of customers")
    rates.legend(loc="upper left")
    rates.grid(alpha=0.3)
    lift.fill_between(
        x, series("lift_ci_low"), series("lift_ci_high"), alpha=0.25, label="95% interval"
    )
    lift.plot(x, series("lift"), marker="o", label="lift (contacted - control)")
    lift.axhline(0, color="grey", linewidth=0.8)
    lift.set_ylabel("lift")
    lift.legend(loc="upper left")
    lift.grid(alpha=0.3)
    provisional = [i for i, r in enumerate(rows) if not r["is_final"]]
    for axis in (rates, lift):
        for i in provisional:
            axis.axvspan(i - 0.5, i + 0.5, color="orange", alpha=0.12)
    lift.set_xticks(list(x), months, rotation=45, ha="right")
    title = (
        f"Recall, 12 months to {report.month:%Y-%m} ({report.status}; as of {report.as_of_date})"
    )
    if provisional:
        title += "\nshaded months are provisional"
    figure.suptitle(title)
    figure.tight_layout()
    temporary = path.with_name(f".{path.name}.tmp.png")
    figure.savefig(temporary, dpi=110)
    plt.close(figure)
    temporary.replace(path)
