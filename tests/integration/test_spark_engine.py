"""The same models on Spark (SPEC §2): a generated sample published by DuckDB through `recall
run`, its raw tables written as Parquet, then `dbt build --target spark` on a local Spark
(every seed, model, unit test and data test), and every published table compared with
DuckDB's: the same rows, floating-point figures to 1e-9."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from integration_helpers import recall_environment, recall_run

from orchestration.ingest.raw_parquet import write_raw_parquet
from orchestration.settings import PROJECT_DIR, Settings
from sample_data import generate

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("java") is None,
        reason="the Spark engine needs Java 17 or later, and `java` is not on PATH",
    ),
]

DBT = Path(sys.executable).parent / "dbt"
TOLERANCE = 1e-9


def dbt_on_spark(home: Path, *args: str) -> subprocess.CompletedProcess:
    """A dbt command on the spark target, with its target folder, logs and Spark's working
    files in the home (never in the project, which other tests build from)."""
    work = home / "spark"
    work.mkdir(parents=True, exist_ok=True)
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
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        cwd=work,
        env=recall_environment(home),
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> dict:
    """One landing built by DuckDB (published) and by Spark (marts written as Parquet)."""
    root = tmp_path_factory.mktemp("spark_engine")
    landing = root / "landing"
    generate(landing, customers=150, seed=21)
    home = root / "home"
    result = recall_run(home, landing)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    published = home / "published" / "recall.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
    settings = Settings(home=home, landing_dir=landing)
    raw_rows = write_raw_parquet(settings.warehouse_path, settings.raw_parquet_dir)
    build = dbt_on_spark(home, "build")
    assert build.returncode == 0, build.stdout[-6000:]
    written = root / "spark_marts"
    args = {"schema": "marts", "tables": tables, "directory": str(written)}
    operation = dbt_on_spark(
        home, "run-operation", "write_parquet_tables", "--args", json.dumps(args)
    )
    assert operation.returncode == 0, operation.stdout[-6000:]
    return {
        "published": published,
        "tables": tables,
        "written": written,
        "raw_rows": raw_rows,
        "build": build.stdout,
    }


def test_every_seed_model_unit_test_and_data_test_passes_on_spark(both_engines: dict):
    summary = [line for line in both_engines["build"].splitlines() if "Done. PASS=" in line]
    assert summary, both_engines["build"][-3000:]
    counts = dict(part.split("=") for part in summary[-1].split("Done. ")[1].split())
    assert counts["ERROR"] == counts["WARN"] == counts["SKIP"] == "0"
    assert counts["PASS"] == counts["TOTAL"] != "0"


def test_raw_parquet_holds_every_raw_row(both_engines: dict):
    warehouse = both_engines["published"].parent.parent / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = {
            table: con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            for table in both_engines["raw_rows"]
        }
    assert both_engines["raw_rows"] == expected
    assert expected["transactions"] > 1000


def test_every_published_table_is_the_same_on_spark_and_duckdb(both_engines: dict):
    assert len(both_engines["tables"]) == 14
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{both_engines['published']}' as duck (read_only)")
    compared = {}
    for table in both_engines["tables"]:
        duck = con.execute(f"select * from duck.{table}")
        names = [d[0] for d in duck.description]
        duck_rows = duck.fetchall()
        files = both_engines["written"] / table / "*.parquet"
        spark = con.execute(f"select {', '.join(names)} from read_parquet('{files}')")
        spark_rows = spark.fetchall()
        assert len(spark_rows) == len(duck_rows), table
        pairs = zip(sorted(duck_rows, key=_order), sorted(spark_rows, key=_order), strict=True)
        for duck_row, spark_row in pairs:
            for name, a, b in zip(names, duck_row, spark_row, strict=True):
                assert _same(a, b), f"{table}.{name}: DuckDB {a!r}, Spark {b!r} in {duck_row}"
        compared[table] = len(duck_rows)
    assert compared["customer_lifecycle"] == 150
    assert all(rows > 0 for table, rows in compared.items() if table != "recall_kpis_restatements")


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
