"""The GX/DuckDB workaround (expectations/_duckdb_workaround.py) against the installed GX:
these fail when GX changes underneath it, before every suite would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pytest
from great_expectations.execution_engine import sqlalchemy_execution_engine

from expectations import _duckdb_workaround
from expectations._duckdb_workaround import GX_VERSION, SETTING, enable_duckdb, is_enabled
from orchestration.settings import PROJECT_DIR


@pytest.fixture
def small_duckdb(tmp_path: Path) -> Path:
    """Ten rows: v is null on 3 of them (ids 0, 3, 6), and above 7 on 2 (v 8 and 9). One
    file per test: GX keeps its connection open."""
    path = tmp_path / "small.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table t as select i as id, case when i % 3 = 0 and i < 9 then null "
            "else i end as v from range(10) as r(i)"
        )
    return path


def _batch(database: Path):
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(
        name="small",
        connection_string=f"duckdb:///{database}",
        kwargs={"connect_args": {"read_only": True}},
    )
    asset = source.add_table_asset(name="t", table_name="t")
    return asset.add_batch_definition_whole_table("all").get_batch()


def test_gx_is_the_version_the_workaround_was_written_for() -> None:
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in pyproject["project"]["dependencies"] if d.startswith("great-expectations")]
    assert pins == [f"great-expectations=={GX_VERSION}"]
    assert gx.__version__ == GX_VERSION == "1.24.1"


def test_the_private_setting_is_a_tuple_of_dialects() -> None:
    dialects = getattr(sqlalchemy_execution_engine, SETTING)
    assert isinstance(dialects, tuple)
    assert {"sqlite", "mssql", "bigquery", "databricks"} <= {d.value for d in dialects}


def test_enable_duckdb_adds_duckdb_once() -> None:
    enable_duckdb()
    enable_duckdb()
    values = [d.value for d in getattr(sqlalchemy_execution_engine, SETTING)]
    assert values.count("duckdb") == 1
    assert is_enabled()


@pytest.mark.parametrize("replacement", [None, ["sqlite", "duckdb"]], ids=["missing", "a list"])
def test_enable_duckdb_fails_loudly_when_the_setting_changes(
    monkeypatch: pytest.MonkeyPatch, replacement: object
) -> None:
    if replacement is None:
        monkeypatch.delattr(sqlalchemy_execution_engine, SETTING)
    else:
        monkeypatch.setattr(sqlalchemy_execution_engine, SETTING, replacement)
    message = f"great_expectations {gx.__version__}: .*{SETTING} is missing or no longer"
    with pytest.raises(RuntimeError, match=message):
        _duckdb_workaround.enable_duckdb()


def test_expectations_run_inside_duckdb_with_the_workaround(small_duckdb: Path) -> None:
    enable_duckdb()
    batch = _batch(small_duckdb)

    not_null = batch.validate(
        gxe.ExpectColumnValuesToNotBeNull(column="v"), result_format="SUMMARY"
    )
    rows = batch.validate(
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="select id, v from {batch} where v > 7 order by id"
        ),
        result_format="COMPLETE",
    )

    assert not_null.success is False
    assert not_null.exception_info["raised_exception"] is False
    assert not_null.result["element_count"] == 10
    assert not_null.result["unexpected_count"] == 3
    assert rows.success is False
    assert rows.result["observed_value"] == 2
    assert rows.result["details"]["unexpected_rows"] == [{"id": 8, "v": 8}, {"id": 9, "v": 9}]


# Run in a fresh interpreter, so this process keeps the workaround it enabled.
_WITHOUT_WORKAROUND = """
import json, sys
import great_expectations as gx
import great_expectations.expectations as gxe
context = gx.get_context(mode="ephemeral")
source = context.data_sources.add_sql(
    name="small",
    connection_string="duckdb:///" + sys.argv[1],
    kwargs={"connect_args": {"read_only": True}},
)
batch = source.add_table_asset(name="t", table_name="t").add_batch_definition_whole_table(
    "all"
).get_batch()
result = batch.validate(gxe.ExpectColumnValuesToNotBeNull(column="v"))
messages = [i["exception_message"] for i in result.exception_info.values()]
print(json.dumps({"success": result.success, "messages": messages}))
"""


def test_without_the_workaround_gx_fails_on_duckdb(small_duckdb: Path) -> None:
    """The upstream bug the workaround exists for (GX #10738, #11579): when this starts
    passing, GX handles DuckDB itself and the workaround can go."""
    run = subprocess.run(
        [sys.executable, "-c", _WITHOUT_WORKAROUND, str(small_duckdb)],
        capture_output=True,
        text=True,
        check=True,
    )
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome["success"] is False
    assert outcome["messages"]
    assert all(re.fullmatch("list index out of range", m) for m in outcome["messages"])
