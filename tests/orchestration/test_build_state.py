"""How a run decides to add the new facts or rebuild in full (transform/build_state.py), and
the dbt command it issues for each."""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import pytest

from orchestration.contract import SOURCES
from orchestration.ingest.summary import REPLACED
from orchestration.settings import load_settings
from orchestration.transform import build_state
from orchestration.transform.build_state import (
    BuildPlan,
    facts_left_out_from,
    last_final_month_end,
    plan_build,
    raw_validated_through,
    record_build,
    states_changed_from,
)
from orchestration.transform.command import dbt_build_args, dbt_build_env


@pytest.mark.parametrize(
    ("as_of_date", "window", "final_through"),
    [
        # July ends 07-31; + 30 days + 1 = 08-31: final from D = 08-31 on, not the day before.
        (date(2026, 8, 31), 30, date(2026, 7, 31)),
        (date(2026, 8, 30), 30, date(2026, 6, 30)),
        (date(2026, 10, 31), 30, date(2026, 9, 30)),
        (date(2026, 3, 2), 1, date(2026, 2, 28)),
        (date(2026, 3, 1), 1, date(2026, 1, 31)),
    ],
)
def test_the_last_final_month_end_follows_is_final(
    as_of_date: date, window: int, final_through: date
) -> None:
    assert last_final_month_end(as_of_date, window) == final_through


@pytest.mark.parametrize(
    ("timezone", "last_d", "left_out_from"),
    [
        ("UTC", date(2026, 6, 30), datetime(2026, 6, 30, 23)),
        # 2026-07-01 00:00 EDT is 04:00 UTC; at UTC+14 it is 10:00 UTC the day before.
        ("America/New_York", date(2026, 6, 30), datetime(2026, 7, 1, 3)),
        ("Pacific/Kiritimati", date(2026, 6, 30), datetime(2026, 6, 30, 9)),
        # Chile starts summer time at midnight: 2026-09-06 starts at 01:00 -03 (04:00 UTC),
        # and when it ends, 2026-04-05 starts at 00:00 -04 (04:00 UTC).
        ("America/Santiago", date(2026, 9, 5), datetime(2026, 9, 6, 3)),
        ("America/Santiago", date(2026, 4, 4), datetime(2026, 4, 5, 3)),
    ],
)
def test_new_facts_start_an_hour_before_the_local_day_after_the_last_d(
    timezone: str, last_d: date, left_out_from: datetime
) -> None:
    with duckdb.connect() as con:
        assert facts_left_out_from(con, last_d, timezone) == left_out_from


def test_an_incremental_build_passes_where_new_facts_start_and_a_full_one_full_refresh() -> None:
    settings = load_settings({}, as_of_date="2026-06-30")
    incremental = BuildPlan(
        full=False,
        facts_loaded_after="2026-07-01 02:00:00.123456",
        facts_occurred_from=datetime(2026, 6, 30, 23),
        states_from=date(2026, 6, 27),
    )
    args = dbt_build_args(settings, incremental)
    assert "--full-refresh" not in args
    assert json.loads(args[4]) == {"reporting_timezone": "UTC", "reporting_currency": "USD"}
    assert dbt_build_env(settings, incremental) == {
        "RECALL_DBT_AS_OF_DATE": "2026-06-30",
        "RECALL_DBT_NEW_FACTS_LOADED_AFTER": "2026-07-01 02:00:00.123456",
        "RECALL_DBT_NEW_FACTS_OCCURRED_FROM": "2026-06-30 23:00:00",
        "RECALL_DBT_STATES_FROM": "2026-06-27",
    }
    assert incremental.describe() == (
        "incremental: the facts that arrived since the last build are added, and customer "
        "states evaluated again from 2026-06-27"
    )
    full = BuildPlan(full=True, reasons=("the dbt vars changed (active_days default -> 45)",))
    assert dbt_build_args(settings, full)[-1] == "--full-refresh"
    assert full.describe() == "full rebuild: the dbt vars changed (active_days default -> 45)"


LAST_D = date(2026, 6, 30)
LAST_LOAD = "2026-07-01 02:00:00"


def _last_build(con: duckdb.DuckDBPyConnection) -> None:
    """The relations states_changed_from reads, as a last build as of 2026-06-30 left them:
    c1 and c2 signed up, one purchase loaded with that build."""
    con.execute("create schema staging")
    con.execute("create schema intermediate")
    con.execute("create table staging.stg_transactions (occurred_date date, loaded_at timestamp)")
    con.execute(f"insert into staging.stg_transactions values ('2026-06-30', '{LAST_LOAD}')")
    con.execute(
        "create table staging.stg_contacts (customer_id varchar, signup_date date, "
        "updated_date date, loaded_at timestamp)"
    )
    con.execute(
        "insert into staging.stg_contacts values "
        f"('c1', '2025-01-10', '2025-01-10', '{LAST_LOAD}'), "
        f"('c2', '2025-03-01', '2025-03-01', '{LAST_LOAD}')"
    )
    con.execute(
        "create table intermediate.int_customer_records_selected as "
        "select customer_id, signup_date from staging.stg_contacts"
    )


@pytest.mark.parametrize(
    ("new_rows", "states_from"),
    [
        # Nothing new: the last D, which moves on.
        ([], LAST_D),
        # A purchase that arrived late, dated before the last D.
        (
            ["insert into staging.stg_transactions values ('2026-06-12', '2026-07-02')"],
            date(2026, 6, 12),
        ),
        # A new customer who signed up after the last D: from D.
        (
            [
                "insert into staging.stg_contacts values ('c3', '2026-07-01', '2026-07-01', "
                "'2026-07-02')"
            ],
            LAST_D,
        ),
        # A new customer with an older signup.
        (
            [
                "insert into staging.stg_contacts values ('c3', '2026-05-20', '2026-07-01', "
                "'2026-07-02')"
            ],
            date(2026, 5, 20),
        ),
        # A new version of c1 with the same signup: nothing earlier changes.
        (
            [
                "insert into staging.stg_contacts values ('c1', '2025-01-10', '2026-07-01', "
                "'2026-07-02')"
            ],
            LAST_D,
        ),
        # A new version of c2 that moves its signup later: from the old signup.
        (
            [
                "insert into staging.stg_contacts values ('c2', '2025-09-01', '2026-07-01', "
                "'2026-07-02')"
            ],
            date(2025, 3, 1),
        ),
        # A version loaded before, dated after the last D: it may be valid at the new D.
        (
            [
                "insert into staging.stg_contacts values ('c1', '2024-12-24', '2026-07-01', "
                f"'{LAST_LOAD}')"
            ],
            date(2024, 12, 24),
        ),
        # The same, dated on the last D: the last build used it already.
        (
            [
                "insert into staging.stg_contacts values ('c1', '2024-12-24', '2026-06-30', "
                f"'{LAST_LOAD}')"
            ],
            LAST_D,
        ),
    ],
)
def test_customer_states_are_evaluated_again_from_the_earliest_date_new_data_can_change(
    new_rows: list[str], states_from: date
) -> None:
    with duckdb.connect() as con:
        _last_build(con)
        for statement in new_rows:
            con.execute(statement)
        assert states_changed_from(con, LAST_LOAD, LAST_D) == states_from


def test_raw_rows_are_new_after_the_last_build_unless_a_file_was_replaced_or_the_suites_changed(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The suites' code, as its fingerprint reads it.
    suites = tmp_path / "suites.py"
    suites.write_text("checks = 1\n")
    fingerprint = build_state._fingerprint
    monkeypatch.setattr(
        build_state,
        "_fingerprint",
        lambda names: (
            suites.read_text() if names == build_state._SUITE_PATHS else fingerprint(names)
        ),
    )
    with duckdb.connect() as con:
        _built_raw_tables(con)
        con.execute("insert into raw.contacts values (1, '2026-07-01 02:00:00')")
        con.execute("insert into raw.transactions values (2, '2026-07-01 02:00:05')")
        assert raw_validated_through(con) is None  # no build yet: validate every row
        record_build(con, load_settings({}), BuildPlan(full=True))
        assert raw_validated_through(con) == "2026-07-01 02:00:05"
        suites.write_text("checks = 2\n")
        assert raw_validated_through(con) is None
        suites.write_text("checks = 1\n")
        con.execute("insert into ingest.load_manifest values (?)", [REPLACED])
        assert raw_validated_through(con) is None


def test_a_build_on_spark_is_full_and_so_is_the_first_after_a_change_of_engine() -> None:
    duckdb_settings = load_settings({})
    spark_settings = load_settings({"RECALL_ENGINE": "spark"})
    with duckdb.connect() as con:
        _built_raw_tables(con)
        record_build(con, duckdb_settings, BuildPlan(full=True))

        after_duckdb = plan_build(con, spark_settings)
        assert after_duckdb.reasons == ("the engine changed", "Spark rebuilds every model")
        assert after_duckdb.full and after_duckdb.after_a_change
        record_build(con, spark_settings, after_duckdb)

        after_spark = plan_build(con, spark_settings)
        assert after_spark.describe() == "full rebuild: Spark rebuilds every model"
        # Nothing changed: the docs site, for one, is not generated again.
        assert after_spark.full and not after_spark.after_a_change
        assert dbt_build_args(spark_settings, after_spark)[-3:] == [
            "--target",
            "spark",
            "--full-refresh",
        ]
        record_build(con, spark_settings, after_spark)

        back_on_duckdb = plan_build(con, duckdb_settings)
        assert back_on_duckdb.reasons == ("the engine changed",)
        assert "--target" not in dbt_build_args(duckdb_settings, back_on_duckdb)


def _built_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty raw tables, the load manifest and D of a build, as a run leaves them."""
    for schema in ("raw", "ingest", "intermediate"):
        con.execute(f"create schema {schema}")
    for source in SOURCES:
        con.execute(f"create table raw.{source.name} (_file_id integer, _loaded_at timestamp)")
    con.execute("create table ingest.load_manifest (status varchar)")
    con.execute(
        "create table intermediate.int_as_of_date as select date '2026-06-30' as as_of_date"
    )
