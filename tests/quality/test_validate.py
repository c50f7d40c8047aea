"""validate() on a freshly built warehouse: every suite passes, and rows planted to break
a rule of SPEC §7 fail the right expectation with exact counts and samples."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from expectations import SUITES, SUITES_BY_TABLE, SuiteResult, data_docs_index, validate

pytestmark = pytest.mark.integration

KPIS = "marts.recall_kpis_monthly"
POOL = "marts.lapsed_pool_monthly"
MONTHLY = "marts.customer_lifecycle_monthly"


def _query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _failures(result: SuiteResult) -> dict[str, tuple[int | None, list[dict]]]:
    return {f.expectation: (f.unexpected_count, f.sample) for f in result.failures}


@pytest.fixture(scope="module")
def clean(clean_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    gx_dir = tmp_path_factory.mktemp("gx_clean")
    return gx_dir, validate(clean_warehouse, gx_dir, run_name="clean")


def test_every_suite_passes_on_a_clean_build(clean) -> None:
    _, results = clean
    assert [r.suite for r in results] == [s.name for s in SUITES]
    assert [(r.suite, r.success, r.failures) for r in results] == [
        (s.name, True, []) for s in SUITES
    ]
    assert [r.evaluated_expectations for r in results] == [len(s.checks) for s in SUITES]


def test_validate_builds_the_data_docs_and_frees_the_file(clean, clean_warehouse: Path) -> None:
    gx_dir, _ = clean
    index = data_docs_index(gx_dir)
    assert index == gx_dir / "uncommitted" / "data_docs" / "local_site" / "index.html"
    page = index.read_text(encoding="utf-8")
    assert all(s.name in page for s in SUITES)
    # GX's connection is closed: a writer can open the file again.
    with duckdb.connect(str(clean_warehouse)) as con:
        assert con.execute("select count(*) from marts.dim_customers").fetchone() == (300,)


def test_a_later_call_may_validate_some_suites_in_the_same_gx_dir(
    clean, clean_warehouse: Path
) -> None:
    """The Dagster checks may validate a layer at a time; earlier runs' definitions stay."""
    gx_dir, _ = clean
    suites = [SUITES_BY_TABLE["raw.contacts"], SUITES_BY_TABLE[POOL]]
    results = validate(clean_warehouse, gx_dir, suites, run_name="two suites")
    assert [(r.table, r.success, r.failures) for r in results] == [
        ("raw.contacts", True, []),
        (POOL, True, []),
    ]


@pytest.fixture(scope="module")
def planted(warehouse_copy, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One copy with one bad row in each of three marts, validated once."""
    path = warehouse_copy(tmp_path_factory.mktemp("planted"))
    with duckdb.connect(str(path)) as con:
        kpi_key = con.execute(
            f"select month, channel, recall_tier, campaign_id from {KPIS} "
            "where recall_rate is not null order by all limit 1"
        ).fetchone()
        con.execute(
            f"update {KPIS} set recall_rate = 1.5 "
            "where month = ? and channel = ? and recall_tier = ? and campaign_id = ?",
            list(kpi_key),
        )
        pool_month, pool_closing = con.execute(
            f"select month, closing from {POOL} where closing > 0 order by month limit 1"
        ).fetchone()
        con.execute(f"update {POOL} set closing = closing + 1 where month = ?", [pool_month])
        month_end, customers = con.execute(
            f"select month_end, count(*) from {MONTHLY} group by all order by month_end "
            "limit 1 offset 3"
        ).fetchone()
        con.execute(
            f"delete from {MONTHLY} where month_end = ? and customer_id = "
            f"(select min(customer_id) from {MONTHLY} where month_end = ?)",
            [month_end, month_end],
        )
    suites = [SUITES_BY_TABLE[t] for t in (KPIS, POOL, MONTHLY)]
    results = validate(path, tmp_path_factory.mktemp("gx_planted"), suites)
    return {
        "results": {r.table: r for r in results},
        "kpi_key": kpi_key,
        "pool": (pool_month, pool_closing),
        "month_end": (month_end, customers),
    }


def test_a_rate_above_one_fails_its_range_check_only(planted: dict) -> None:
    result = planted["results"][KPIS]
    month, channel, tier, campaign = planted["kpi_key"]
    assert result.success is False
    assert _failures(result) == {
        "recall_rate in [0, 1]": (
            1,
            [
                {
                    "month": month.isoformat(),
                    "channel": channel,
                    "recall_tier": tier,
                    "campaign_id": campaign,
                    "recall_rate": 1.5,
                }
            ],
        )
    }
    failure = result.failures[0]
    assert (failure.column, failure.expectation_type, failure.error) == (
        "recall_rate",
        "unexpected_rows_expectation",
        None,
    )
    json.dumps(failure.sample)  # JSON-serialisable as it stands


def test_a_closing_off_by_one_breaks_the_pool_identity_the_roll_forward_and_the_stock(
    planted: dict,
) -> None:
    month, closing = planted["pool"]
    failures = _failures(planted["results"][POOL])
    identity = failures["opening + became_dormant - recalled_returns - organic_returns = closing"]
    assert identity[0] == 1
    assert [(row["month"], row["closing"]) for row in identity[1]] == [
        (month.isoformat(), closing + 1)
    ]
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    assert failures["each month opens with the previous month's closing (0 in the first)"] == (
        1,
        [{"month": next_month.isoformat(), "opening": closing, "previous_closing": closing + 1}],
    )
    stock = failures[
        "closing is the dormant and lapsed customers of the lifecycle marts at month_end"
    ]
    assert (stock[0], stock[1][0]["closing"], stock[1][0]["lifecycle_pool"]) == (
        1,
        closing + 1,
        closing,
    )
    assert len(failures) == 3


def test_a_missing_customer_row_breaks_the_stage_count_of_its_month_end(planted: dict) -> None:
    month_end, customers = planted["month_end"]
    assert _failures(planted["results"][MONTHLY]) == {
        "stage counts add up to the customers signed up by each month end": (
            1,
            [
                {
                    "month_end": month_end.isoformat(),
                    "stage_count_total": customers - 1,
                    "customers_signed_up": customers,
                }
            ],
        )
    }


def test_is_final_follows_the_attribution_window_var(clean_warehouse: Path, tmp_path: Path) -> None:
    """A window far longer than the build's makes every final month provisional."""
    (final_rows,) = _query(clean_warehouse, f"select count(*) from {KPIS} where is_final")[0]
    [result] = validate(
        clean_warehouse, tmp_path, [SUITES_BY_TABLE[KPIS]], vars={"attribution_window_days": 3650}
    )
    failures = _failures(result)
    assert final_rows > 0
    assert list(failures) == [
        "is_final is month end + attribution_window_days + 1 day <= D",
        "retention_is_final is the third month after the windows close ending by D",
    ]
    assert failures["is_final is month end + attribution_window_days + 1 day <= D"][0] == (
        final_rows
    )


def test_a_missing_table_fails_its_suite_and_the_others_still_run(
    warehouse_copy, tmp_path: Path
) -> None:
    path = warehouse_copy(tmp_path / "db")
    with duckdb.connect(str(path)) as con:
        con.execute("drop table marts.early_warning")
    early, pool = validate(
        path, tmp_path / "gx", [SUITES_BY_TABLE["marts.early_warning"], SUITES_BY_TABLE[POOL]]
    )
    assert (early.success, early.evaluated_expectations) == (False, 0)
    assert [(f.expectation, f.error) for f in early.failures] == [
        ("table exists", "marts.early_warning is not in the database")
    ]
    assert (pool.success, pool.failures) == (True, [])


def test_raw_rows_ingest_should_have_refused_fail_with_their_landing_row(
    warehouse_copy, tmp_path: Path
) -> None:
    path = warehouse_copy(tmp_path / "db")
    with duckdb.connect(str(path)) as con:
        con.execute(
            "insert into raw.transactions select 'T-planted', 'nobody', occurred_at, 'gift', "
            "amount, currency, store_or_channel, category, _file_id, 999999, _loaded_at, "
            "_row_hash from raw.transactions limit 1"
        )
        con.execute("alter table raw.currency_rates alter value_in_base type double")
    transactions, rates = validate(
        path,
        tmp_path / "gx",
        [SUITES_BY_TABLE["raw.transactions"], SUITES_BY_TABLE["raw.currency_rates"]],
    )
    failures = _failures(transactions)
    assert sorted(failures) == [
        "contact_id exists in raw.contacts.contact_id",
        "kind is one of purchase, refund",
    ]
    assert failures["kind is one of purchase, refund"][0] == 1
    [row] = failures["kind is one of purchase, refund"][1]
    assert (row["transaction_id"], row["_row_number"], row["kind"]) == ("T-planted", 999999, "gift")
    assert failures["contact_id exists in raw.contacts.contact_id"][0] == 1
    assert _failures(rates) == {
        "columns, types and not-null constraints match the contract": (
            1,
            [
                {
                    "column_name": "value_in_base",
                    "expected_type": "DECIMAL(18,8) NOT NULL",
                    "actual_type": "DOUBLE NOT NULL",
                }
            ],
        )
    }


def test_over_new_rows_only_an_old_row_is_not_read_and_a_new_key_meets_every_row(
    warehouse_copy, tmp_path: Path
) -> None:
    path = warehouse_copy(tmp_path / "db")
    with duckdb.connect(str(path)) as con:
        loaded_after, first, last = con.execute(
            "select max(_loaded_at), min(transaction_id), max(transaction_id) from raw.transactions"
        ).fetchone()
        # An old row that breaks a rule: it passed when it arrived, so it is not read again.
        con.execute("update raw.transactions set kind = 'gift' where transaction_id = ?", [first])
        # Two new rows: one repeats the key of an old row, one has an unknown kind.
        con.execute(
            "insert into raw.transactions select 'T-new', contact_id, occurred_at, 'gift', "
            "amount, currency, store_or_channel, category, _file_id, 999999, "
            "_loaded_at + interval 1 hour, _row_hash from raw.transactions "
            "where transaction_id = ?",
            [last],
        )
        con.execute(
            "insert into raw.transactions select transaction_id, contact_id, occurred_at, "
            "kind, amount, currency, store_or_channel, category, _file_id, 999998, "
            "_loaded_at + interval 1 hour, _row_hash from raw.transactions "
            "where transaction_id = ?",
            [last],
        )
    suite = [SUITES_BY_TABLE["raw.transactions"]]
    [new_rows] = validate(path, tmp_path / "gx", suite, loaded_after=str(loaded_after))
    failures = _failures(new_rows)
    assert sorted(failures) == ["kind is one of purchase, refund", "transaction_id is unique"]
    assert failures["transaction_id is unique"] == (1, [{"transaction_id": last, "row_count": 2}])
    count, [row] = failures["kind is one of purchase, refund"]
    assert (count, row["transaction_id"]) == (1, "T-new")
    [whole] = validate(path, tmp_path / "gx", suite)
    assert _failures(whole)["kind is one of purchase, refund"][0] == 2
    assert _failures(whole)["transaction_id is unique"][0] == 1
