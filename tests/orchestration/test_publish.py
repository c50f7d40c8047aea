"""Publication: atomic swap, no personal data, last good file kept on failure."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.publish.bi_file import PublishError, Refresh, publish_marts


def _warehouse(path: Path, customers: int, extra_column: str | None = None) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists staging")
        extra = f", 'x' as {extra_column}" if extra_column else ""
        con.execute(
            "create or replace table marts.dim_customers as "
            f"select 'C' || i as customer_id, true as email_opt_in{extra} "
            f"from range({customers}) t(i)"
        )
        con.execute("create or replace table staging.contacts as select 'a@b.c' as email")
    return path


def _count(path: Path) -> int:
    """Row count seen by a new BI reader: another process, as a BI tool is (DuckDB shares one
    database instance per path inside a process)."""
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(con.execute('select count(*) from dim_customers').fetchone()[0])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True)
    return int(out.stdout)


def test_publish_copies_every_mart_and_nothing_else(tmp_path: Path) -> None:
    published = tmp_path / "published" / "recall.duckdb"
    result = publish_marts(_warehouse(tmp_path / "w.duckdb", 3), published)

    assert result.row_counts == {"dim_customers": 3}
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("show tables").fetchall() == [("dim_customers",)]
    assert sorted(p.name for p in published.parent.iterdir()) == ["recall.duckdb"]


def test_readers_keep_their_snapshot_while_new_readers_see_the_new_file(tmp_path: Path) -> None:
    published = tmp_path / "recall.duckdb"
    publish_marts(_warehouse(tmp_path / "w.duckdb", 3), published)
    reader = duckdb.connect(str(published), read_only=True)

    publish_marts(_warehouse(tmp_path / "w.duckdb", 5), published)

    assert reader.execute("select count(*) from dim_customers").fetchone()[0] == 3
    assert _count(published) == 5
    reader.close()
    assert not published.with_name("recall.duckdb.wal").exists()


@pytest.mark.parametrize("column", ["email", "phone", "full_name", "contact_email"])
def test_personal_data_is_refused_and_the_last_publication_stays(
    tmp_path: Path, column: str
) -> None:
    published = tmp_path / "recall.duckdb"
    publish_marts(_warehouse(tmp_path / "good.duckdb", 2), published)

    with pytest.raises(PublishError, match=f"dim_customers.{column}"):
        publish_marts(_warehouse(tmp_path / "bad.duckdb", 7, extra_column=column), published)

    assert _count(published) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bad.duckdb",
        "good.duckdb",
        "recall.duckdb",
    ]


def test_an_empty_marts_schema_is_refused(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(PublishError, match="no tables in schema 'marts'"):
        publish_marts(warehouse, tmp_path / "recall.duckdb")
    assert not (tmp_path / "recall.duckdb").exists()


def test_table_and_column_descriptions_travel_with_the_tables(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "nodes": {
                    "model.x.dim_customers": {
                        "resource_type": "model",
                        "schema": "marts",
                        "alias": "dim_customers",
                        "description": "One row per customer.",
                        "columns": {"customer_id": {"description": "Source contact_id."}},
                    }
                }
            }
        )
    )
    published = tmp_path / "recall.duckdb"
    publish_marts(_warehouse(tmp_path / "w.duckdb", 1), published, manifest_path=manifest)

    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute(
            "select comment from duckdb_tables() where table_name = 'dim_customers'"
        ).fetchone() == ("One row per customer.",)
        assert con.execute(
            "select comment from duckdb_columns() where column_name = 'customer_id'"
        ).fetchone() == ("Source contact_id.",)


def _facts(path: Path, ids: range, amount: str = "1.00", other_table: bool = True) -> Path:
    """A warehouse whose marts hold facts ``ids`` and, unless told otherwise, one other table."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.fct_transactions as select 'T' || i as transaction_id, "
            f"cast({amount} as decimal(18, 2)) as amount from range({ids.start}, {ids.stop}) t(i)"
        )
        con.execute("drop table if exists marts.dim_campaigns")
        if other_table:
            con.execute(f"create table marts.dim_campaigns as select {ids.stop} as campaigns")
    return path


def _published(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            table: con.execute(f"select * from {table} order by all").fetchall()
            for (table,) in con.execute("show tables").fetchall()
        }


def test_an_appended_table_gets_only_its_new_rows_and_ends_equal_to_the_warehouse(
    tmp_path: Path,
) -> None:
    published = tmp_path / "recall.duckdb"
    publish_marts(_facts(tmp_path / "w.duckdb", range(3)), published)
    # A published row the warehouse no longer holds would survive a blind append.
    with duckdb.connect(str(published)) as con:
        con.execute("update fct_transactions set amount = 9 where transaction_id = 'T0'")

    warehouse = _facts(tmp_path / "w.duckdb", range(5))
    result = publish_marts(
        warehouse, published, appended={"fct_transactions": Refresh("transaction_id")}
    )

    assert result.row_counts == {"dim_campaigns": 1, "fct_transactions": 5}
    # Appending keeps what the BI file held (the edited T0): the caller appends only to the
    # publication the last build made. The other table is copied again.
    assert _published(published)["fct_transactions"][0] == ("T0", 9)
    assert _published(published)["dim_campaigns"] == [(5,)]


def test_a_table_refreshed_from_a_date_replaces_those_dates_and_keeps_the_earlier_ones(
    tmp_path: Path,
) -> None:
    def month_ends(path: Path, stage: str, months: int) -> Path:
        with duckdb.connect(str(path)) as con:
            con.execute("create schema if not exists marts")
            con.execute(
                "create or replace table marts.customer_lifecycle_monthly as "
                f"select last_day(date '2026-01-01' + to_months(i)) as month_end, '{stage}' "
                f"as stage from range({months}) t(i)"
            )
        return path

    published = tmp_path / "recall.duckdb"
    publish_marts(month_ends(tmp_path / "w.duckdb", "active", 3), published)

    # The build evaluated states again from 15 February: February and March change, April
    # is new; January stands as published.
    warehouse = month_ends(tmp_path / "w.duckdb", "lapsed", 4)
    publish_marts(
        warehouse,
        published,
        appended={"customer_lifecycle_monthly": Refresh("month_end", date(2026, 2, 15))},
    )

    assert _published(published)["customer_lifecycle_monthly"] == [
        (date(2026, 1, 31), "active"),
        (date(2026, 2, 28), "lapsed"),
        (date(2026, 3, 31), "lapsed"),
        (date(2026, 4, 30), "lapsed"),
    ]


def test_an_appended_table_that_cannot_match_is_copied_in_full(tmp_path: Path) -> None:
    published = tmp_path / "recall.duckdb"
    publish_marts(_facts(tmp_path / "w.duckdb", range(5)), published)

    # Fewer facts than published (T3, T4 gone), and no dim_campaigns any more.
    warehouse = _facts(tmp_path / "w.duckdb", range(3), amount="2.00", other_table=False)
    publish_marts(warehouse, published, appended={"fct_transactions": Refresh("transaction_id")})

    assert _published(published) == {
        "fct_transactions": [("T0", 2), ("T1", 2), ("T2", 2)],
    }
