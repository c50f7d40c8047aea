"""What a build on Spark hands back to the checks (transform/spark.py), without Spark: the
models it lists from the manifest, and the Parquet it wrote loaded into the build copy with
the DuckDB types of their contracts; and Parquet folders replaced whole."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.folders import replace_folder
from orchestration.settings import Settings
from orchestration.transform.spark import (
    CheckedModel,
    checked_models,
    has_java,
    load_checked_models,
    replace_published_folders,
    spark_output,
)


def _node(schema: str, alias: str, columns: dict[str, str | None], enforced: bool) -> dict:
    return {
        "resource_type": "model",
        "schema": schema,
        "alias": alias,
        "config": {"contract": {"enforced": enforced}},
        "columns": {name: {"name": name, "data_type": kind} for name, kind in columns.items()},
    }


def test_the_checks_get_staging_the_marts_and_the_as_of_model_with_contract_types(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "manifest.json"
    nodes = [
        _node("marts", "lapse_tiers", {"customer_id": "string", "r_days": "integer"}, True),
        _node("staging", "stg_contacts", {"customer_id": None}, False),
        _node("intermediate", "int_as_of_date", {"as_of_date": "date"}, True),
        _node("intermediate", "int_transactions_converted", {"amount": "double"}, True),
        {"resource_type": "seed", "schema": "main", "alias": "channels", "columns": {}},
    ]
    manifest.write_text(json.dumps({"nodes": {str(i): n for i, n in enumerate(nodes)}}))

    assert checked_models(manifest) == [
        CheckedModel("intermediate", "int_as_of_date", {"as_of_date": "date"}),
        CheckedModel("marts", "lapse_tiers", {"customer_id": "string", "r_days": "integer"}),
        CheckedModel("staging", "stg_contacts", {}),
    ]


def test_models_written_by_spark_replace_the_build_copys_relations_with_duckdb_types(
    tmp_path: Path,
) -> None:
    output = tmp_path / "output"
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'America/New_York'")
        for schema, table, query in [
            # Spark writes integers as bigint and timestamps as instants.
            ("marts", "lapse_tiers", "select 'C1' as customer_id, 91::bigint as r_days"),
            (
                "staging",
                "stg_contacts",
                "select 'C1' as customer_id, timestamptz '2026-03-01 12:00:00+00' as updated_at",
            ),
        ]:
            (output / schema / table).mkdir(parents=True)
            con.execute(f"copy ({query}) to '{output / schema / table / 'part-0.parquet'}'")
    build = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema staging")
        con.execute("create view staging.stg_contacts as select 1 as stale")
    models = [
        CheckedModel("marts", "lapse_tiers", {"customer_id": "string", "r_days": "integer"}),
        CheckedModel("staging", "stg_contacts", {}),
    ]

    loaded = load_checked_models(build, output, models)

    assert loaded == {"marts.lapse_tiers": 1, "staging.stg_contacts": 1}
    with duckdb.connect(str(build), read_only=True) as con:
        types = con.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where not internal order by table_name, column_index"
        ).fetchall()
        assert types == [
            ("lapse_tiers", "customer_id", "VARCHAR"),
            ("lapse_tiers", "r_days", "INTEGER"),
            ("stg_contacts", "customer_id", "VARCHAR"),
            ("stg_contacts", "updated_at", "TIMESTAMP"),
        ]
        assert con.execute("select updated_at from staging.stg_contacts").fetchone() == (
            datetime(2026, 3, 1, 12),
        )
        assert (
            con.execute("select count(*) from duckdb_views() where not internal").fetchone()[0] == 0
        )


def test_a_folder_is_replaced_whole_and_a_killed_replacements_leftover_is_cleared(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "lapse_tiers"
    folder.mkdir()
    (folder / "old.parquet").write_text("old")
    (tmp_path / ".lapse_tiers.old").mkdir()  # left by a replacement killed half-way
    new = tmp_path / ".lapse_tiers.new"
    new.mkdir()
    (new / "part-0.parquet").write_text("new")

    replace_folder(new, folder)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["lapse_tiers"]
    assert [p.name for p in folder.iterdir()] == ["part-0.parquet"]


def test_publishing_replaces_each_marts_folder_and_removes_those_of_marts_no_longer_built(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "home", landing_dir=tmp_path / "landing")
    for table in ("lapse_tiers", "early_warning"):
        built = spark_output(settings) / "marts" / table
        built.mkdir(parents=True)
        (built / "part-0.parquet").write_text("new")
    for table in ("lapse_tiers", "a_removed_mart"):
        old = settings.published_spark_dir / table
        old.mkdir(parents=True)
        (old / "part-0.parquet").write_text("old")

    published = replace_published_folders(settings, ["early_warning", "lapse_tiers"])

    assert published == settings.published_spark_dir
    assert sorted(p.name for p in published.iterdir()) == ["early_warning", "lapse_tiers"]
    assert (published / "lapse_tiers" / "part-0.parquet").read_text() == "new"
    assert not (spark_output(settings) / "marts" / "lapse_tiers").exists()


def test_java_is_found_under_java_home_or_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert not has_java()
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert has_java()
