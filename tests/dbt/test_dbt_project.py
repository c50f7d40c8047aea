"""The dbt project builds end to end on DuckDB: on a few raw rows, on empty raw tables, and
refuses contradicting thresholds before building anything. The build on empty raw tables
also runs every dbt unit test, under the default vars (the pipeline's own build leaves them
out).

The raw tables are created here from the landing-file contract (orchestration/contract.py),
as ingest would create them, so these tests exercise dbt alone. The rules themselves are
pinned by the dbt unit tests in the models' YAML, which the `dbt build` here runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from expectations.dbt_contract import not_null_columns
from orchestration.contract import AMOUNT, BOOLEAN, DATE, RATE, SOURCES, TIMESTAMP
from orchestration.settings import PROJECT_DIR

pytestmark = pytest.mark.integration

RAW_TYPES = {
    TIMESTAMP: "timestamp",
    DATE: "date",
    BOOLEAN: "boolean",
    AMOUNT: "decimal(18,4)",
    RATE: "decimal(18,8)",
}
LOAD_COLUMNS = "_file_id bigint, _row_number bigint, _loaded_at timestamp, _row_hash varchar"

# Table-shaped data reads best one row per line.
# fmt: off
SAMPLE_ROWS = {
    "contacts": [
        # c1: a second version after D; c2 signs up late on 2026-01-14 New York time;
        # c3 signs up after D.
        ("c1", "Ann", "ann@example.org", None, "north", "2025-01-05 10:00", "web",
         True, True, None, None, "2025-01-05 10:00"),
        ("c1", "Ann", "ann@example.org", "+1555", "south", "2025-01-05 10:00", "web",
         True, True, None, True, "2026-02-05 09:00"),
        ("c2", "Bob", None, None, "east", "2026-01-15 03:00", "store",
         False, False, False, False, "2026-01-15 03:00"),
        ("c3", "Cid", None, None, "west", "2026-02-01 12:00", "web",
         True, True, True, True, "2026-02-01 12:00"),
    ],
    "campaigns": [
        ("k1", "Winter win-back", "2026-01-05", "2026-01-31", "coupon", "1|2", 100, "EUR"),
        ("k2", "Spring", "2026-03-01", "2026-03-31", "none", None, 50, "GBP"),
    ],
    "transactions": [
        ("t1", "c1", "2025-01-06 12:00", "purchase", 100, "EUR", "web", "shoes"),
        # 04:30 UTC on 1 February is 31 January in New York.
        ("t2", "c1", "2026-02-01 04:30", "refund", 20, "EUR", "web", "shoes"),
        ("t3", "c2", "2026-01-20 10:00", "purchase", 0, "EUR", "store", None),
        ("t4", "c2", "2026-02-02 10:00", "purchase", 5, "EUR", "store", None),
    ],
    "recall_touches": [
        ("r1", "c1", "k1", "email", "2026-01-10 09:00", False, None, "2026-01-10 10:00",
         None, "price", 0.05, "EUR"),
        ("r2", "c1", "k1", "sms", "2026-01-11 09:00", True, None, None,
         "reached", "not_a_code", 0.05, "EUR"),
        ("r3", "c2", "k1", "control", "2026-01-21 09:00", None, None, None,
         None, None, 0, "EUR"),
        ("r4", "c2", "k1", "phone", "2026-02-05 09:00", True, None, None,
         "refused", None, 1, "EUR"),
    ],
}
# fmt: on


def create_raw_tables(warehouse: Path, rows: dict[str, list[tuple]] | None = None) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists raw")
        for source in SOURCES:
            columns = ", ".join(
                f"{c.name} {RAW_TYPES.get(c.type, 'varchar')}" for c in source.columns
            )
            con.execute(f"create table raw.{source.name} ({columns}, {LOAD_COLUMNS})")
            for number, row in enumerate((rows or {}).get(source.name, []), start=1):
                placeholders = ", ".join("?" for _ in row)
                con.execute(
                    f"insert into raw.{source.name} values "
                    f"({placeholders}, 1, {number}, timestamp '2026-02-10 00:00', 'hash')",
                    list(row),
                )


def dbt(args: Iterable[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run dbt in the project with its own target and log folders, so concurrent runs of the
    project (the Dagster definitions, a developer's shell) are not disturbed."""
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
    ]
    return subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def warehouse() -> Path:
    home = Path(os.environ["RECALL_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    return home / "warehouse.duckdb"


def test_build_on_sample_rows_pins_dates_amounts_and_as_of(warehouse: Path, tmp_path: Path):
    create_raw_tables(warehouse, SAMPLE_ROWS)
    vars_ = (
        "{as_of_date: '2026-01-31', reporting_timezone: America/New_York, reporting_currency: EUR}"
    )

    # Unit tests pin the rules under the default vars; the empty-tables build runs them.
    result = dbt(["build", "--exclude-resource-type", "unit_test", "--vars", vars_], tmp_path)

    assert result.returncode == 0, result.stdout[-4000:]
    # c3 signed up after D; c2 signed up on 14 January in New York (03:00 UTC on the 15th);
    # c1's attributes come from the version before D.
    assert query(
        warehouse,
        "select customer_id, signup_date, region, has_phone, is_phone_opt_in, version_count "
        "from marts.dim_customers order by customer_id",
    ) == [
        ("c1", date(2025, 1, 5), "north", False, False, 1),
        ("c2", date(2026, 1, 14), "east", False, False, 1),
    ]
    # The refund at 04:30 UTC on 1 February is on D (31 January) in New York; t4 is after D.
    assert query(
        warehouse,
        "select transaction_id, cast(occurred_date as varchar), amount_reporting, "
        "signed_amount_reporting, is_qualifying_purchase "
        "from marts.fct_transactions order by transaction_id",
    ) == [
        ("t1", "2025-01-06", Decimal("100.00"), Decimal("100.00"), True),
        ("t2", "2026-01-31", Decimal("20.00"), Decimal("-20.00"), False),
        ("t3", "2026-01-20", Decimal("0.00"), Decimal("0.00"), False),
    ]
    assert query(
        warehouse,
        "select touch_id, is_control, is_delivered, is_opened, is_clicked, lapse_reason_group "
        "from marts.fct_recall_touches order by touch_id",
    ) == [
        ("r1", False, True, True, True, "price"),
        ("r2", False, True, False, False, "unmapped"),
        ("r3", True, False, False, False, None),
    ]
    # k2 starts after D.
    campaigns = query(
        warehouse, "select campaign_id, fixed_cost_reporting from marts.dim_campaigns"
    )
    assert campaigns == [("k1", Decimal("100.00"))]
    # The marts' enforced contracts: a column the YAML declares never null is NOT NULL in the
    # table, so DuckDB refuses a null as the row is written (no not_null test runs after).
    # fct_transactions is a view: its not_null columns are tested.
    tables = [
        name
        for (name,) in query(
            warehouse,
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1",
        )
    ]
    assert len(tables) == len(list((PROJECT_DIR / "models" / "marts").rglob("*.sql"))) - 1
    not_null = {
        table: [
            name
            for (name,) in query(
                warehouse,
                "select column_name from duckdb_columns() where schema_name = 'marts' "
                f"and table_name = '{table}' and not is_nullable order by column_index",
            )
        ]
        for table in tables
    }
    assert not_null == {table: list(not_null_columns(table)) for table in tables}


def test_build_on_empty_raw_tables_gives_empty_marts_and_passes_every_unit_test(
    warehouse: Path, tmp_path: Path
):
    create_raw_tables(warehouse)

    result = dbt(["build"], tmp_path)

    assert result.returncode == 0, result.stdout[-4000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 74
    assert {r["status"] for r in unit_tests} == {"pass"}
    for mart in ("dim_customers", "dim_campaigns", "fct_transactions", "fct_recall_touches"):
        assert query(warehouse, f"select count(*) from marts.{mart}") == [(0,)]
    assert query(warehouse, "select as_of_date from intermediate.int_as_of_date") == [(None,)]


def test_contradicting_thresholds_fail_before_anything_is_built(warehouse: Path, tmp_path: Path):
    create_raw_tables(warehouse)

    result = dbt(["build", "--vars", "{active_days: 60, band_edge_1: 200}"], tmp_path)

    assert result.returncode != 0
    assert "active_days (60) < at_risk_days (60) < dormant_days (180)" in result.stdout
    assert "at_risk_days (60) < band_edge_1 (200) < dormant_days (180)" in result.stdout
    schemas = {row[0] for row in query(warehouse, "select schema_name from duckdb_schemas()")}
    assert not schemas & {"staging", "intermediate", "marts", "reference"}


def test_a_nightly_build_tests_only_the_rows_it_rewrote_and_references_over_every_row(
    warehouse: Path, tmp_path: Path
):
    create_raw_tables(warehouse, SAMPLE_ROWS)
    vars_ = "{as_of_date: '2026-01-31', reporting_timezone: America/New_York}"
    built = dbt(["build", "--exclude-resource-type", "unit_test", "--vars", vars_], tmp_path)
    assert built.returncode == 0, built.stdout[-4000:]
    with duckdb.connect(str(warehouse)) as con:
        # c1 again with a bad stage: at a month end this build left standing, and at one it
        # rewrote; and c1's state again at both, where the states are made.
        con.execute(
            "insert into marts.customer_lifecycle_monthly values "
            "(date '2025-10-31', 'c1', 'bogus', 1, 1), (date '2026-01-31', 'c1', 'bogus', 1, 1)"
        )
        states = "intermediate.int_customer_states_evaluated"
        con.execute(
            f"insert into {states} select * from {states} "
            "where customer_id = 'c1' and evaluation_date in ('2025-10-31', '2026-01-31')"
        )
        # An old fact of a customer dim_customers does not hold, loaded after this build's new
        # facts began.
        facts = "intermediate.int_transactions_converted"
        con.execute(
            f"insert into {facts} "
            f"select * replace ('t9' as transaction_id, 'ghost' as customer_id, "
            f"timestamp '2026-02-01' as loaded_at) from {facts} where transaction_id = 't1'"
        )
    nightly = (
        "{as_of_date: '2026-01-31', reporting_timezone: America/New_York, "
        "lifecycle_states_from: '2025-12-01', new_facts_loaded_after: '2026-02-10 00:00', "
        "new_facts_occurred_from: '2026-01-30'}"
    )

    dbt(
        [
            "test",
            "--select",
            "int_customer_states_evaluated customer_lifecycle_monthly fct_transactions",
            "--vars",
            nightly,
        ],
        tmp_path,
    )

    target = tmp_path / "target"
    tests = json.loads((target / "manifest.json").read_text())["nodes"]
    failures = {
        (
            tests[r["unique_id"]]["test_metadata"]["name"],
            tests[r["unique_id"]]["attached_node"].split(".")[-1],
            tests[r["unique_id"]]["column_name"],
        ): r["failures"]
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["failures"]
    }
    assert failures == {
        ("accepted_values", "customer_lifecycle_monthly", "stage"): 1,
        ("unique_combination", "int_customer_states_evaluated", None): 1,
        ("relationships", "fct_transactions", "customer_id"): 1,
    }
