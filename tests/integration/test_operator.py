"""The command line as an operator meets it (SPEC §10): quiet progress and a summary that
tells the whole truth, exit codes, one-line errors, and corrections with recall replace."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from integration_helpers import RECALL, copy_home, recall_environment, recall_run, sha256

pytestmark = pytest.mark.integration

STAGE_LINE = re.compile(r"^(Ingest|dbt build|Checks|Publish) +done \(\d+ s\)$")


def _recall(home: Path, *arguments: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [str(RECALL), *arguments],
        env=(env or {}) | recall_environment(home),
        capture_output=True,
        text=True,
        timeout=900,
    )


def _amount(home: Path, transaction_id: str):
    with duckdb.connect(str(home / "published" / "recall.duckdb"), read_only=True) as con:
        return con.execute(
            "select amount_reporting from fct_transactions where transaction_id = ?",
            [transaction_id],
        ).fetchone()[0]


def _assert_quiet_with_a_summary_and_a_log(result: subprocess.CompletedProcess) -> None:
    """Stage lines, then the summary, under 60 lines; everything else in the run's log."""
    assert [STAGE_LINE.match(line)[1] for line in result.stderr.splitlines()[:-1]] == [
        "Ingest",
        "dbt build",
        "Checks",
        "Publish",
    ]
    lines = result.stdout.splitlines()
    assert len(lines) + len(result.stderr.splitlines()) < 60
    assert re.fullmatch(r"Run [0-9a-f]{8} published in \d+ s\.", lines[0])
    assert lines[1].startswith("Ingest at ")
    assert lines[1].endswith(
        "0 new files loaded, 91 already loaded, 0 re-deliveries skipped, 1 changed file rejected."
    )
    assert re.fullmatch(
        r"Checks, all passed: gates passed quarantine share 5/5, volume 13/13, freshness 1/1, "
        r"expectation suites \d+/\d+; dbt tests passed (\d+)/\1\.",
        next(line for line in lines if line.startswith("Checks")),
    )
    (log_line,) = [line for line in lines if line.startswith("Full log: ")]
    log = Path(log_line.removeprefix("Full log: ")).read_text(encoding="utf-8")
    assert "landing_ingest - " in log and " OK created sql table model marts." in log
    assert "telemetry" not in (result.stdout + result.stderr).lower()


def test_a_changed_file_is_reported_strict_fails_and_recall_replace_applies_it(
    published_home: Path, landings: tuple[Path, Path], tmp_path: Path
) -> None:
    home = copy_home(published_home, tmp_path / "home")
    landing = shutil.copytree(landings[0], tmp_path / "landing")
    loaded = sorted((landing / "transactions").glob("*.csv"))[0]
    name = f"transactions/{loaded.name}"
    header, first, *rest = loaded.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = first.split(",")
    transaction_id = fields[0]
    before = _amount(home, transaction_id)
    fields[4] = "777.77"  # the amount of the first row, in the file's own currency
    loaded.write_text(header + ",".join(fields) + "".join(rest), encoding="utf-8")

    strict = recall_run(home, landing, "--strict")

    assert strict.returncode == 1
    _assert_quiet_with_a_summary_and_a_log(strict)
    warnings = strict.stdout.split("Warnings:\n", 1)[1]
    assert f"{name} differs from the file of the same name loaded" in warnings
    assert f"run: recall replace {name} {name}" in warnings
    assert "Exit 1: --strict fails a run with warnings (it published)." in strict.stderr
    assert _amount(home, transaction_id) == before

    replaced = _recall(home, "replace", name, str(loaded), "--landing", str(landing))

    assert replaced.returncode == 0, replaced.stdout[-3000:] + replaced.stderr[-3000:]
    assert f"Replaced: {name} replaced by {name}" in replaced.stdout
    assert _amount(home, transaction_id) != before
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        manifest = con.execute(
            "select status from ingest.load_manifest where relative_path = ? order by file_id",
            [name],
        ).fetchall()
    assert manifest == [("replaced",), ("changed_rejected",), ("loaded",)]


def test_a_replacement_whose_run_fails_changes_nothing_and_leaves_no_copy_behind(
    published_home: Path, landings: tuple[Path, Path], tmp_path: Path
) -> None:
    home = copy_home(published_home, tmp_path / "home")
    landing = shutil.copytree(landings[0], tmp_path / "landing")
    loaded = sorted((landing / "transactions").glob("*.csv"))[0]
    header, *rows = loaded.read_text(encoding="utf-8").splitlines(keepends=True)
    negative = ["{},{},{},{},-1,{}".format(*r.split(",", 5)[:4], r.split(",", 5)[5]) for r in rows]
    bad = tmp_path / "delivery" / "fixed.csv"
    bad.parent.mkdir()
    bad.write_text(header + "".join(negative), encoding="utf-8")
    published = sha256(home / "published" / "recall.duckdb")

    result = _recall(
        home, "replace", f"transactions/{loaded.name}", str(bad), "--landing", str(landing)
    )

    assert result.returncode == 1
    assert "check max_quarantine_share on raw/transactions failed" in result.stderr
    assert f"Removed {landing / 'transactions' / 'fixed.csv'} again" in result.stderr
    assert not (landing / "transactions" / "fixed.csv").exists()
    assert sha256(home / "published" / "recall.duckdb") == published


@pytest.mark.parametrize(
    ("arguments", "env", "message"),
    [
        (
            ["run", "--as-of", "31/10/2026"],
            {},
            "Error: --as-of: '31/10/2026' is not a date: write the business date as YYYY-MM-DD",
        ),
        (
            ["run"],
            {"RECALL_AS_OF": "31/10/2026"},
            "Error: RECALL_AS_OF: '31/10/2026' is not a date: write the business date as "
            "YYYY-MM-DD",
        ),
        (["run", "--var", "active_days=thirty"], {}, "Error: --var active_days: "),
        (
            ["run", "--var", "active_days=70"],
            {},
            "Error: --var active_days: thresholds must satisfy active_days < at_risk_days < "
            "dormant_days",
        ),
        (["run"], {"RECALL_VAR_ACTIVE_DAY": "30"}, "Error: RECALL_VAR_ACTIVE_DAY: "),
        (
            ["replace", "transactions/none.csv", "fixed.csv"],
            {},
            "Error: Nothing has been loaded yet",
        ),
    ],
)
def test_an_operator_error_is_one_line_and_exit_2(
    tmp_path: Path, arguments: list[str], env: dict[str, str], message: str
) -> None:
    result = _recall(tmp_path / "home", *arguments, "--landing", str(tmp_path), env=env)

    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(message)


def test_a_damaged_parquet_file_fails_the_run_naming_the_file(
    landings: tuple[Path, Path], tmp_path: Path
) -> None:
    landing = shutil.copytree(landings[0], tmp_path / "landing")
    damaged = _to_parquet(sorted((landing / "transactions").glob("*.csv"))[0])
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])

    result = recall_run(tmp_path / "home", landing)

    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert f"Landing file transactions/{damaged.name} is truncated" in result.stderr


def _to_parquet(csv_file: Path) -> Path:
    """The same rows as a Parquet file of text columns, in place of the CSV file."""
    columns = csv_file.read_text(encoding="utf-8").splitlines()[0].split(",")
    table = pacsv.read_csv(
        csv_file,
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string())),
    )
    target = csv_file.with_suffix(".parquet")
    pq.write_table(table, target)
    csv_file.unlink()
    return target
