"""The models built on Spark (SPEC §2; ``recall run --engine spark``), inside the same run as
on DuckDB: ingest, the raw checks, the mart checks and the BI file stay where they are, and
only the dbt build moves.

1. The raw tables of this run's build copy, which passed the raw suites, are written as
   Parquet (``ingest/raw_parquet.py``), the folders Spark's ``raw`` sources read; so are
   the month-close rows of the last publication (``recall_kpis_closed``), which a Spark build
   keeps as DuckDB's incremental table does (macro ``closed_kpis_kept``).
2. ``dbt build --target spark`` builds every model, each a table rebuilt whole, and runs the
   data tests.
3. Spark writes the models the checks read (staging, marts, and ``int_as_of_date``, the D the
   build described) as Parquet under ``$RECALL_HOME/spark/output/``; they are loaded into the
   build copy with the DuckDB types of their contracts, so the same Great Expectations suites
   and gates check them and the same BI file publishes them.
4. Once the checks pass, :func:`publish_spark_marts` moves each mart's folder to
   ``$RECALL_HOME/published/spark/`` and registers it in Spark's ``published`` schema.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
from dagster_dbt import DbtCliResource

from orchestration.ingest.raw_parquet import write_raw_parquet
from orchestration.lib.folders import replace_folder
from orchestration.lib.sql import sql_identifier, sql_literal
from orchestration.settings import Settings
from orchestration.transform.command import dbt_profile_args, dbt_target, dbt_vars_arg

PUBLISHED_SCHEMA = "published"
CLOSED_KPIS = "recall_kpis_closed"
# What to do when Spark cannot start its JVM; `recall run` says it before anything runs, a
# scheduled or UI run of the transform step before dbt starts.
JAVA_NEEDED = (
    "The Spark engine needs Java 17 or later, and `java` is not on PATH: install a JDK and put "
    "its bin folder on PATH (or set JAVA_HOME), or build on DuckDB (--engine duckdb)."
)
# Spark's least heap: below about 450 MiB it refuses to start.
MIN_HEAP_MIB = 1024
# The build's D, which the build state records (build_state.record_build).
AS_OF_MODEL = ("intermediate", "int_as_of_date")


@dataclass(frozen=True)
class CheckedModel:
    """A model a Spark build hands back to the checks: where it lives, and the DuckDB type
    its contract gives each column (none for a model without a contract)."""

    schema: str
    name: str
    types: Mapping[str, str]

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"


def checked_models(manifest_path: Path) -> list[CheckedModel]:
    """The staging and mart models, and the as-of model, from the dbt manifest."""
    nodes = json.loads(manifest_path.read_text(encoding="utf-8"))["nodes"].values()
    return sorted(
        (
            CheckedModel(
                node["schema"],
                node["alias"],
                {
                    name: column["data_type"]
                    for name, column in node["columns"].items()
                    if node["config"].get("contract", {}).get("enforced")
                    and column.get("data_type")
                },
            )
            for node in nodes
            if node["resource_type"] == "model"
            and (
                node["schema"] in ("staging", "marts")
                or (node["schema"], node["alias"]) == AS_OF_MODEL
            )
        ),
        key=lambda model: model.relation,
    )


def spark_output(settings: Settings) -> Path:
    """Where a Spark build writes the models the checks read, one folder per schema."""
    return settings.spark_dir / "output"


def _run_operation(dbt: DbtCliResource, settings: Settings, macro: str, arguments: dict) -> None:
    """A macro on Spark, with the build's vars (so dbt reuses the build's parse)."""
    args = ["run-operation", macro, "--args", json.dumps(arguments), "--vars"]
    dbt.cli(
        [*args, dbt_vars_arg(settings), *dbt_profile_args(settings)],
        target_path=dbt_target(settings),
    ).wait()


def has_java() -> bool:
    """Whether Spark can start its JVM: ``$JAVA_HOME/bin/java``, where pyspark looks first, or
    ``java`` on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return True
    return shutil.which("java") is not None


def spark_heap_mib(settings: Settings) -> int:
    """The heap of Spark's JVM: the run's memory limit, and at least :data:`MIN_HEAP_MIB`."""
    return max(settings.memory_limit_mib, MIN_HEAP_MIB)


def prepare_spark_inputs(
    settings: Settings, build: Path, say: Callable[[str], None]
) -> dict[str, str]:
    """Step 1: the Parquet folders a Spark build reads; returns the environment that names
    them to dbt."""
    raw = write_raw_parquet(build, settings.raw_parquet_dir)
    say(
        f"Raw tables written as Parquet for Spark under {settings.raw_parquet_dir}: "
        + ", ".join(f"{table} {rows:,}" for table, rows in raw.items())
    )
    env = {"RECALL_RAW_PARQUET": str(settings.raw_parquet_dir)}
    kept = settings.spark_dir / "kept" / CLOSED_KPIS
    shutil.rmtree(kept, ignore_errors=True)
    with duckdb.connect(str(build), read_only=True) as con:
        has_closed = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = ?",
            [CLOSED_KPIS],
        ).fetchone()[0]
        if has_closed:
            kept.mkdir(parents=True)
            rows = con.execute(
                f"copy marts.{CLOSED_KPIS} to {sql_literal(str(kept / 'part-0.parquet'))} "
                "(format parquet, return_stats)"
            ).fetchall()[0][1]
            say(f"{rows:,} closed recall KPI rows of the last publication kept for Spark")
            env["RECALL_CLOSED_KPIS_PARQUET"] = str(kept)
    return env


def write_checked_models(
    dbt: DbtCliResource, settings: Settings, models: list[CheckedModel]
) -> Path:
    """Step 3, on Spark: every checked model as Parquet under :func:`spark_output`."""
    output = spark_output(settings)
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    relations = [model.relation for model in models]
    _run_operation(
        dbt, settings, "write_parquet_tables", {"relations": relations, "directory": str(output)}
    )
    return output


def load_checked_models(build: Path, output: Path, models: list[CheckedModel]) -> dict[str, int]:
    """Step 3, in the build copy: each model Spark wrote replaces the relation of the same
    name, its columns cast to their contract types (timestamps, which Spark writes as
    instants, back to naive UTC). Returns the rows per relation."""
    loaded = {}
    with duckdb.connect(str(build)) as con:
        con.execute("set TimeZone = 'UTC'")
        for model in models:
            files = sql_literal(str(output / model.schema / model.name / "*.parquet"))
            columns = con.execute(f"describe select * from read_parquet({files})").fetchall()
            selected = ", ".join(
                f"cast({sql_identifier(name)} as {_duckdb_type(model.types.get(name), kind)}) "
                f"as {sql_identifier(name)}"
                for name, kind, *_ in columns
            )
            con.execute(f"create schema if not exists {sql_identifier(model.schema)}")
            _drop(con, model)
            con.execute(
                f"create table {sql_identifier(model.schema)}.{sql_identifier(model.name)} as "
                f"select {selected} from read_parquet({files})"
            )
            loaded[model.relation] = con.execute(
                f"select count(*) from {sql_identifier(model.schema)}.{sql_identifier(model.name)}"
            ).fetchone()[0]
    return loaded


def _duckdb_type(contract_type: str | None, parquet_type: str) -> str:
    if contract_type:
        return contract_type
    return "timestamp" if parquet_type == "TIMESTAMP WITH TIME ZONE" else parquet_type


def _drop(con: duckdb.DuckDBPyConnection, model: CheckedModel) -> None:
    """Drop the relation a DuckDB build left under the model's name (a view or a table)."""
    found = con.execute(
        "select table_type from information_schema.tables "
        "where table_schema = ? and table_name = ?",
        [model.schema, model.name],
    ).fetchone()
    if found:
        kind = "view" if found[0] == "VIEW" else "table"
        con.execute(f"drop {kind} {sql_identifier(model.schema)}.{sql_identifier(model.name)}")


def publish_spark_marts(dbt: DbtCliResource, settings: Settings, tables: list[str]) -> Path:
    """Step 4: each checked mart's folder replaces its published one, and the published
    folders are (again) the tables of Spark's ``published`` schema."""
    published = replace_published_folders(settings, tables)
    arguments = {"schema": PUBLISHED_SCHEMA, "tables": tables, "directory": str(published)}
    _run_operation(dbt, settings, "register_parquet_tables", arguments)
    return published


def replace_published_folders(settings: Settings, tables: list[str]) -> Path:
    """Each checked mart's folder, as Spark wrote it, replaces its published one; the folder
    of a table no longer built goes, as its table goes from the BI file."""
    published = settings.published_spark_dir
    published.mkdir(parents=True, exist_ok=True)
    for table in tables:
        replace_folder(spark_output(settings) / "marts" / table, published / table)
    for folder in published.iterdir():
        if folder.is_dir() and folder.name not in tables:
            shutil.rmtree(folder)
    return published
