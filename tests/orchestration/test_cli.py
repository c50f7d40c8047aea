"""The `recall` command: help on every verb, clear errors for bad options."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.settings import is_quick_start


@pytest.mark.parametrize(
    "verb",
    [
        [],
        ["generate"],
        ["run"],
        ["replace"],
        ["backfill"],
        ["ui"],
        ["report"],
        ["export"],
        ["export", "outreach"],
    ],
)
def test_every_verb_has_help(verb: list[str]) -> None:
    result = CliRunner().invoke(main, [*verb, "--help"])
    assert result.exit_code == 0
    assert "Usage: main" in result.output or "Usage:" in result.output


def test_unknown_timezone_is_refused_before_anything_runs(tmp_path) -> None:
    result = CliRunner().invoke(
        main, ["run", "--landing", str(tmp_path), "--timezone", "Mars/Olympus"]
    )
    assert result.exit_code == 2
    assert "unknown timezone 'Mars/Olympus'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_currency_that_is_not_a_code_is_refused_before_anything_runs(tmp_path) -> None:
    result = CliRunner().invoke(main, ["run", "--landing", str(tmp_path), "--currency", "dollar"])
    assert result.exit_code == 2
    assert "'dollar' is not a currency code" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_spark_engine_without_java_is_refused_before_anything_runs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = CliRunner().invoke(
        main,
        ["run", "--landing", str(tmp_path), "--engine", "spark"],
        env={"PATH": str(tmp_path), "JAVA_HOME": None, "RECALL_HOME": str(home)},
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: The Spark engine needs Java 17 or later, and `java` is not on PATH: install a "
        "JDK and put its bin folder on PATH (or set JAVA_HOME), or build on DuckDB (--engine "
        "duckdb). Nothing ran.\n"
    )
    assert not home.exists()


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_run_on_a_missing_or_empty_landing_directory_fails_and_publishes_nothing(
    tmp_path: Path, state: str
) -> None:
    landing = tmp_path / "landing"
    if state == "empty":
        landing.mkdir()

    result = CliRunner().invoke(main, ["run", "--landing", str(landing)])

    assert result.exit_code == 1
    problem = "does not exist" if state == "missing" else "holds no files"
    assert f"The landing directory {landing} {problem}" in result.output
    assert "nothing was published" in result.output
    home = Path(os.environ["RECALL_HOME"])
    assert not (home / "published" / "recall.duckdb").exists()
    assert not (landing / "contacts").exists()  # no sample was generated there


@pytest.mark.parametrize(
    ("home", "landing_option", "landing_variable", "expected"),
    [
        (None, False, None, True),
        ("data", False, None, True),
        (None, True, None, False),
        (None, False, "/srv/drop", False),
        ("/srv/recall", False, None, False),
    ],
)
def test_only_the_quick_start_on_the_default_home_may_generate_a_sample(
    monkeypatch: pytest.MonkeyPatch,
    home: str | None,
    landing_option: bool,
    landing_variable: str | None,
    expected: bool,
) -> None:
    for name, value in (("RECALL_HOME", home), ("RECALL_LANDING", landing_variable)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)

    assert is_quick_start(landing_given=landing_option) is expected


@pytest.mark.integration
def test_the_quick_start_generates_a_sample_on_the_default_home_and_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    dbt_manifest: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECALL_HOME")
    monkeypatch.setattr("orchestration.cli.SAMPLE_CUSTOMERS", 300)

    result = CliRunner().invoke(main, ["run"])

    assert result.exit_code == 0, result.output
    landing = tmp_path / "data" / "landing"
    assert (landing / "truth.json").exists()
    said = [r.getMessage() for r in caplog.records if r.name == "recall"]
    assert said[0] == (
        f"Quick start: {landing} holds no landing files, so a synthetic sample of 300 customers "
        "is generated there first (recall generate). Point --landing or RECALL_LANDING at your "
        "own files for real data."
    )
    published = tmp_path / "data" / "published" / "recall.duckdb"
    assert f"Published, for BI (open read-only): {published}" in result.output


def test_an_as_of_date_after_today_is_refused_before_anything_runs(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--landing", str(tmp_path), "--as-of", "2099-01-01"])

    assert result.exit_code == 2
    assert "2099-01-01 is after today" in result.output
    assert list(tmp_path.iterdir()) == []
    assert not Path(os.environ["RECALL_HOME"], "published").exists()


def test_a_run_that_crashes_says_so_in_one_line_and_keeps_the_traceback_in_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash() -> None:
        raise OSError("No space left on device")

    monkeypatch.setenv("RECALL_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("orchestration.runner.prepare_manifest", crash)

    result = CliRunner().invoke(main, ["run", "--landing", str(tmp_path)])

    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    (log,) = (tmp_path / "home" / "logs").iterdir()
    assert line == (
        "Error: the run stopped on an unexpected error: OSError: No space left on device (the "
        f"traceback is in {log}); run again with --verbose to see it as it happens"
    )
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")
