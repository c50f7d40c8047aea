"""The `recall` command: help on every verb, clear errors for bad options."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from orchestration.cli import main


@pytest.mark.parametrize("verb", [[], ["generate"], ["run"]])
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
