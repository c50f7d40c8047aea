"""The suites as declared: which tables they cover and what they are built from. No
database and no GX here (listing the suites must not import GX)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from expectations import SUITES, SUITES_BY_TABLE
from expectations.dbt_contract import not_null_columns, project_vars
from expectations.spec import Check, Suite, not_null, render, rows
from orchestration.contract import SOURCES

# SPEC §9: the published marts.
PUBLISHED_MARTS = (
    "dim_customers",
    "dim_campaigns",
    "fct_transactions",
    "fct_recall_touches",
    "customer_lifecycle",
    "customer_lifecycle_monthly",
    "lifecycle_flows_monthly",
    "lapse_tiers",
    "recall_kpis_monthly",
    "recall_kpis_closed",
    "recall_kpis_restatements",
    "lapse_reasons_monthly",
    "early_warning",
    "lapsed_pool_monthly",
)


def test_every_raw_source_and_published_mart_has_one_suite() -> None:
    tables = [s.table for s in SUITES]
    assert len(tables) == len(set(tables))
    assert [t for t in tables if t.startswith("raw.")] == [f"raw.{s.name}" for s in SOURCES]
    assert sorted(t for t in tables if t.startswith("marts.")) == sorted(
        f"marts.{m}" for m in PUBLISHED_MARTS
    )
    assert {s.layer for s in SUITES} == {"raw", "staging", "marts"}
    assert all(s.table.split(".")[0] == s.layer for s in SUITES)


@pytest.mark.parametrize("mart", PUBLISHED_MARTS)
def test_mart_suite_checks_every_column_its_yaml_declares_not_null(mart: str) -> None:
    declared = not_null_columns(mart)
    checked = [c.column for c in SUITES_BY_TABLE[f"marts.{mart}"].checks if "not null" in c.name]
    assert declared
    assert checked == list(declared)


def test_spec_section_7_checks_are_named_in_the_mart_suites() -> None:
    names = {s.table: [c.name for c in s.checks] for s in SUITES}
    kpis = names["marts.recall_kpis_monthly"]
    for rate in ("recall_rate", "treated_return_rate", "control_rate"):
        assert f"{rate} in [0, 1]" in kpis
    assert "recalled_customers <= contacted_customers" in kpis
    assert "clicked <= opened <= delivered <= contacted_customers" in kpis
    assert "is_final is month end + attribution_window_days + 1 day <= D" in kpis
    assert (
        "opening + became_dormant - recalled_returns - organic_returns = closing"
        in names["marts.lapsed_pool_monthly"]
    )
    assert (
        "stage counts add up to the customers signed up by each month end"
        in names["marts.customer_lifecycle_monthly"]
    )


def test_every_query_renders_with_the_project_vars() -> None:
    for suite in SUITES:
        for check in suite.checks:
            query = render(check.sql(suite.key), project_vars())
            assert "(select * from {batch})" in query, (suite.table, check.name)


def test_render_fills_vars_as_sql_literals_and_the_table_as_gx_batch() -> None:
    query = "select * from {table} as b where b.d > {days} and b.c = {code} and {flag}"
    assert render(query, {"days": 30, "code": "it's", "flag": True}) == (
        "select * from (select * from {batch}) as b where b.d > 30 and b.c = 'it''s' and true"
    )
    with pytest.raises(KeyError, match="not_a_var"):
        render("select {not_a_var}", {})
    with pytest.raises(ValueError, match="literal braces"):
        render("select '{{x}}'", {})


def test_a_row_check_shows_the_key_then_its_columns() -> None:
    check = rows("x >= 0", "b.x < 0", "x", "key_2")
    assert check.sql(("key_1", "key_2")) == (
        "select b.key_1, b.key_2, b.x from {table} as b where b.x < 0"
    )
    assert [c.sql(("k",)) for c in not_null("a")] == [
        "select b.k, b.a from {table} as b where b.a is null"
    ]


def test_a_suite_refuses_two_checks_of_one_name_and_an_unknown_layer() -> None:
    check = Check("same", where="true")
    with pytest.raises(ValueError, match="checks named twice: \\['same'\\]"):
        Suite("marts.t", "marts", ("k",), (check, check))
    with pytest.raises(ValueError, match="layer 'bronze'"):
        Suite("marts.t", "bronze", ("k",), (check,))


def test_listing_the_suites_does_not_import_gx() -> None:
    code = "import sys, expectations; print('great_expectations' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
