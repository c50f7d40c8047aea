"""Helpers of the integration tests: running `recall` as an operator does, copying a home,
comparing two published BI files table by table."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

RECALL = Path(sys.executable).parent / "recall"


def recall_environment(home: Path) -> dict[str, str]:
    """This process's environment with the home set and no other RECALL_ setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECALL_")}
    return env | {"RECALL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}


def recall_run(home: Path, landing: Path, *options: str) -> subprocess.CompletedProcess:
    """``recall run`` as an operator starts it, in its own process."""
    return subprocess.run(
        [str(RECALL), "run", "--landing", str(landing), *options],
        env=recall_environment(home),
        capture_output=True,
        text=True,
        timeout=900,
    )


def copy_home(home: Path, target: Path) -> Path:
    """A copy of a home without its Dagster run history."""
    shutil.copytree(home, target, ignore=shutil.ignore_patterns("dagster", "run.lock"))
    return target


def differences(first: Path, second: Path) -> dict[str, tuple[int, int, int]]:
    """Per published table: rows only in the first, rows only in the second (EXCEPT ALL on
    every column, both ways), and the row count of the first. Both files must hold the same
    tables."""
    con = duckdb.connect()
    con.execute(f"attach '{first}' as a (read_only)")
    con.execute(f"attach '{second}' as b (read_only)")
    tables = {
        db: sorted(
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = ?", [db]
            ).fetchall()
        )
        for db in ("a", "b")
    }
    assert tables["a"] == tables["b"]
    result = {}
    for table in tables["a"]:
        result[table] = (
            con.execute(
                f"select count(*) from (from a.{table} except all from b.{table})"
            ).fetchone()[0],
            con.execute(
                f"select count(*) from (from b.{table} except all from a.{table})"
            ).fetchone()[0],
            con.execute(f"select count(*) from a.{table}").fetchone()[0],
        )
    con.close()
    return result


def identical(first: Path, second: Path) -> bool:
    """Every table of both files has the same rows (and each has some)."""
    return all(a == b == 0 and rows > 0 for a, b, rows in differences(first, second).values())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
