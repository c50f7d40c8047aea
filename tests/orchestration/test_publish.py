"""Publication: atomic swap, no personal data, last good file kept on failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.publish.bi_file import PublishError, publish_marts


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
