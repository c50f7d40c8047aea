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


# Month close keeps a month's figures as they stood when it closed, and when that was depends
# on the run history, not on the landing: closed months are compared on their keys and final
# figures (retention only once it closed too).
_COMPARED_AS = {
    "recall_kpis_closed": "select * exclude (closed_on, retention_closed_on) replace ("
    + ", ".join(
        f"case when retention_is_final then retained_m{n} end as retained_m{n}" for n in (1, 2, 3)
    )
    + ") from {db}.recall_kpis_closed"
}
# Empty unless a closed figure changed.
MAY_BE_EMPTY = frozenset({"recall_kpis_restatements"})


def differences(
    first: Path, second: Path, skip: tuple[str, ...] = ()
) -> dict[str, tuple[int, int, int]]:
    """Per published table (but ``skip``): rows only in the first, rows only in the second
    (EXCEPT ALL on every column, both ways), and the row count of the first. Both files must
    hold the same tables."""
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
        if table in skip:
            continue
        query = _COMPARED_AS.get(table, "from {db}." + table)
        a, b = (query.format(db=db) for db in "ab")
        result[table] = (
            con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0],
            con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0],
            con.execute(f"select count(*) from a.{table}").fetchone()[0],
        )
    con.close()
    return result


def identical(first: Path, second: Path) -> bool:
    """Every table of both files has the same rows (and each has some, but MAY_BE_EMPTY)."""
    return all(
        a == b == 0 and (rows > 0 or table in MAY_BE_EMPTY)
        for table, (a, b, rows) in differences(first, second).items()
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
