"""The same warehouse on Spark (SPEC §2): one generated landing run twice through `recall run`
in two homes, first as of an earlier date on DuckDB, so months close, and then as of its
latest transaction, on DuckDB in one home and on Spark in the other (an engine switch, and
more months closing, on Spark). Every table of Spark's publication, the BI file and the
Parquet folders of its `published` schema, must equal DuckDB's (floating-point figures to
1e-9), the month-close history included; and every dbt unit test passes on Spark."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from integration_helpers import recall_environment, recall_run

from orchestration.settings import PROJECT_DIR
from orchestration.transform.spark import JAVA_NEEDED, has_java
from sample_data import generate

pytestmark = [
    pytest.mark.integration,
    pytest.mark.long,
    pytest.mark.skipif(not has_java(), reason=JAVA_NEEDED),
]

DBT = Path(sys.executable).parent / "dbt"
TOLERANCE = 1e-9
# The sample's transactions end in October 2026: as of mid-August, June is the last final
# month, and July, August and the retention of earlier months close in the second run.
FIRST_AS_OF = date(2026, 8, 15)


def dbt_on_spark(home: Path, *args: str) -> subprocess.CompletedProcess:
    """A dbt command on the spark target of a home that `recall run --engine spark` built."""
    return subprocess.run(
        [
            str(DBT),
            *args,
            "--target",
            "spark",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(home / "spark" / "target"),
            "--log-path",
            str(home / "logs"),
        ],
        cwd=home,
        env=recall_environment(home),
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> dict:
    root = tmp_path_factory.mktemp("spark_engine")
    landing = root / "landing"
    generate(landing, customers=150, seed=21)
    homes = {"duckdb": root / "duckdb", "spark": root / "spark"}
    runs = {}
    for engine, home in homes.items():
        # A first run on Spark, with no closed months to keep, is what the dbt unit tests of
        # recall_kpis_closed build on Spark below.
        for run_engine, as_of in (("duckdb", ["--as-of", FIRST_AS_OF.isoformat()]), (engine, [])):
            result = recall_run(home, landing, "--engine", run_engine, *as_of)
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            runs.setdefault(engine, []).append(result.stdout)
    unit_tests = dbt_on_spark(homes["spark"], "test", "--select", "test_type:unit")
    read_back = dbt_on_spark(
        homes["spark"],
        "show",
        "--inline",
        "select count(*) as customers from published.customer_lifecycle",
    )
    return {"homes": homes, "runs": runs, "unit_tests": unit_tests, "read_back": read_back}


def test_every_dbt_unit_test_passes_on_spark(both_engines: dict):
    output = both_engines["unit_tests"].stdout
    summary = [line for line in output.splitlines() if "Done. PASS=" in line]
    assert summary, output[-3000:]
    counts = dict(part.split("=") for part in summary[-1].split("Done. ")[1].split())
    assert counts["ERROR"] == counts["WARN"] == counts["SKIP"] == "0"
    assert int(counts["PASS"]) == int(counts["TOTAL"]) > 80


def test_a_spark_run_builds_on_spark_checks_and_publishes_both_ways(both_engines: dict):
    home = both_engines["homes"]["spark"]
    summary = both_engines["runs"]["spark"][-1]
    assert "dbt build, full rebuild: the engine changed; Spark rebuilds every model." in summary
    assert f"Published, for BI (open read-only): {home / 'published' / 'recall.duckdb'}" in summary
    assert (
        "Built on Spark; the same marts as Parquet, Spark's published schema: "
        f"{home / 'published' / 'spark'}" in summary
    )
    assert "Checks, all passed" in summary
    # The raw tables Spark read hold every raw row.
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        for table in ("contacts", "campaigns", "transactions", "recall_touches"):
            raw = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            files = home / "raw" / table / "*.parquet"
            assert con.execute(f"select count(*) from '{files}'").fetchone()[0] == raw > 0
    # A Spark session reads the published schema.
    assert both_engines["read_back"].returncode == 0, both_engines["read_back"].stdout[-3000:]
    assert re.search(r"^\|\s*150\s*\|$", both_engines["read_back"].stdout, re.MULTILINE)


def test_the_duckdb_engine_summary_names_no_spark_publication(both_engines: dict):
    summary = both_engines["runs"]["duckdb"][-1]
    assert "dbt build, incremental" in summary
    assert "Spark" not in summary
    assert not (both_engines["homes"]["duckdb"] / "published" / "spark").exists()


def test_the_bi_file_of_a_spark_run_equals_duckdbs_types_included(both_engines: dict):
    homes = both_engines["homes"]
    duck = homes["duckdb"] / "published" / "recall.duckdb"
    spark = homes["spark"] / "published" / "recall.duckdb"
    con = duckdb.connect()
    con.execute(f"attach '{duck}' as duck (read_only)")
    con.execute(f"attach '{spark}' as spark (read_only)")
    tables = _tables(con, "duck")
    assert tables == _tables(con, "spark")
    assert len(tables) == 14
    for table in tables:
        assert _columns(con, "spark", table) == _columns(con, "duck", table), table
        _assert_same_rows(con, table, f"select * from duck.{table}", f"select * from spark.{table}")


def test_every_published_parquet_table_equals_duckdbs_month_close_included(both_engines: dict):
    duck = both_engines["homes"]["duckdb"] / "published" / "recall.duckdb"
    folders = both_engines["homes"]["spark"] / "published" / "spark"
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{duck}' as duck (read_only)")
    tables = _tables(con, "duck")
    assert sorted(p.name for p in folders.iterdir()) == tables
    compared = {}
    for table in tables:
        names = ", ".join(name for name, _ in _columns(con, "duck", table))
        compared[table] = _assert_same_rows(
            con,
            table,
            f"select {names} from duck.{table}",
            f"select {names} from read_parquet('{folders / table}/*.parquet')",
        )
    assert compared["customer_lifecycle"] == 150
    assert all(rows > 0 for table, rows in compared.items() if table != "recall_kpis_restatements")
    # Months closed in both runs: the rows the first run closed on DuckDB, with its D, are
    # kept by the build on Spark.
    closed_on = con.execute(
        f"select distinct closed_on from read_parquet('{folders}/recall_kpis_closed/*.parquet') "
        "order by 1"
    ).fetchall()
    assert closed_on[0][0] == FIRST_AS_OF
    assert len(closed_on) == 2


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where database_name = ? order by 1",
            [database],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and table_name = ? order by column_index",
        [database, table],
    ).fetchall()


def _assert_same_rows(con: duckdb.DuckDBPyConnection, table: str, duck: str, spark: str) -> int:
    duck_rows = con.execute(duck).fetchall()
    result = con.execute(spark)
    names = [d[0] for d in result.description]
    spark_rows = result.fetchall()
    assert len(spark_rows) == len(duck_rows), table
    pairs = zip(sorted(duck_rows, key=_order), sorted(spark_rows, key=_order), strict=True)
    for duck_row, spark_row in pairs:
        for name, a, b in zip(names, duck_row, spark_row, strict=True):
            assert _same(a, b), f"{table}.{name}: DuckDB {a!r}, Spark {b!r} in {duck_row}"
    return len(duck_rows)


def _order(row: tuple) -> tuple:
    """Rows sort alike on both engines: floats rounded far below the tolerance's cut, nulls
    first."""
    return tuple(
        (value is not None, round(value, 6) if isinstance(value, float) else str(value))
        for value in row
    )


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0, abs_tol=TOLERANCE)
    # Spark writes a timestamp as an instant, DuckDB's BI file as naive UTC.
    if isinstance(b, datetime) and b.tzinfo is not None:
        b = b.astimezone(UTC).replace(tzinfo=None)
    return a == b
