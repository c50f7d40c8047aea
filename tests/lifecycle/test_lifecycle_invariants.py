"""The lifecycle marts (SPEC §5) on generated data, built by the real pipeline.

One run as of a mid-month date D, with later data in the landing files, so the tests can see
that nothing after D leaks in and that D's partial month stays out of the monthly history.
Besides the invariants (one stage per customer and date, stage counts = customers, one tier
row per dormant or lapsed customer), the stages, R and value scores are recomputed here from
the SPEC's own wording and compared customer by customer, at D and at every month end.

A second, dbt-only test runs two customers through the reporting timezone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import DagsterInstance

from orchestration.contract import AMOUNT, BOOLEAN, DATE, SOURCES, TIMESTAMP
from orchestration.runner import run_pipeline
from orchestration.settings import PROJECT_DIR, Settings
from sample_data import generate

pytestmark = pytest.mark.integration

CUSTOMERS = 3_000
AS_OF = date(2026, 6, 15)  # mid-month; the generated activity runs to 2026-10-31
STAGES = {"prospect", "new", "reactivated", "active", "at_risk", "dormant", "lapsed"}
VARS = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]

Txn = tuple[date, bool, Decimal | None]  # local date, is qualifying purchase, signed amount


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _month_end(day: date) -> date:
    first_of_next = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def _month_ends(first: date, before: date) -> list[date]:
    ends, end = [], _month_end(first)
    while end < before:
        ends.append(end)
        end = _month_end(end + timedelta(days=1))
    return ends


def _expected_state(
    txns: list[Txn], at: date
) -> tuple[str, int | None, int | None, Decimal | None]:
    """Stage, R, F and M at `at`, straight from SPEC §5.1 and §5.2."""
    dates = sorted({d for d, qualifying, _ in txns if qualifying and d <= at})
    if not dates:
        return "prospect", None, None, None
    first, last = dates[0], dates[-1]
    r = (at - last).days
    active, at_risk, dormant = VARS["active_days"], VARS["at_risk_days"], VARS["dormant_days"]
    in_window = [d for d in dates if d >= at - timedelta(days=active)]
    before_window = [d for d in dates if in_window and d < in_window[0]]
    if (at - first).days <= VARS["new_days"] and r <= active:
        stage = "new"
    elif r <= active and before_window and (in_window[0] - before_window[-1]).days > at_risk:
        stage = "reactivated"
    elif r <= active:
        stage = "active"
    elif r <= at_risk:
        stage = "at_risk"
    elif r <= dormant:
        stage = "dormant"
    else:
        stage = "lapsed"
    window_start = last - timedelta(days=VARS["value_window_days"] - 1)
    f = sum(1 for d, qualifying, _ in txns if qualifying and window_start <= d <= last)
    m = sum((amount for d, _, amount in txns if window_start <= d <= last), Decimal("0"))
    return stage, r, f, m


def _scores(values: dict[str, object]) -> dict[str, int]:
    ordered = sorted(values.values())
    return {key: 1 + 5 * bisect_left(ordered, v) // len(ordered) for key, v in values.items()}


def _expected_at(at: date, customers: dict[str, date], txns: dict[str, list[Txn]]) -> dict:
    """customer_id -> (stage, r_days, value_score) for the customers signed up by `at`."""
    states = {c: _expected_state(txns[c], at) for c, signup in customers.items() if signup <= at}
    scored = {c: s for c, s in states.items() if s[0] != "prospect"}
    f_scores = _scores({c: s[2] for c, s in scored.items()})
    m_scores = _scores({c: s[3] for c, s in scored.items()})
    return {
        c: (s[0], s[1], (f_scores[c] + m_scores[c] + 1) // 2 if c in scored else None)
        for c, s in states.items()
    }


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> Settings:
    home = tmp_path_factory.mktemp("lifecycle")
    settings = Settings(home=home, landing_dir=home / "landing", as_of_date=AS_OF)
    generate(settings.landing_dir, customers=CUSTOMERS, seed=7)
    with DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(settings, instance=instance)
    assert outcome.success, outcome.format_failure()
    return settings


@pytest.fixture(scope="module")
def warehouse(settings: Settings) -> Path:
    return settings.warehouse_path


@pytest.fixture(scope="module")
def customers(warehouse: Path) -> dict[str, date]:
    return dict(_query(warehouse, "select customer_id, signup_date from marts.dim_customers"))


@pytest.fixture(scope="module")
def transactions(warehouse: Path) -> dict[str, list[Txn]]:
    """Every transaction in staging, also those after D; amounts exist up to D only."""
    rows = _query(
        warehouse,
        "select s.customer_id, s.occurred_date, s.is_qualifying_purchase, "
        "f.signed_amount_reporting from staging.stg_transactions as s "
        "left join marts.fct_transactions as f on s.transaction_id = f.transaction_id",
    )
    by_customer: dict[str, list[Txn]] = defaultdict(list)
    for customer_id, occurred, qualifying, amount in rows:
        by_customer[customer_id].append((occurred, qualifying, amount))
    return by_customer


def test_the_landing_data_runs_past_d(warehouse: Path) -> None:
    (latest,) = _query(warehouse, "select max(occurred_date) from staging.stg_transactions")[0]
    (latest_touch,) = _query(warehouse, "select max(sent_date) from staging.stg_recall_touches")[0]
    assert latest > AS_OF
    assert latest_touch > AS_OF


def test_every_customer_has_exactly_one_stage_as_of_d(
    warehouse: Path, customers: dict[str, date]
) -> None:
    rows = _query(warehouse, "select customer_id, stage, as_of_date from marts.customer_lifecycle")
    assert Counter(c for c, _, _ in rows) == Counter(list(customers))
    assert {stage for _, stage, _ in rows} <= STAGES
    assert {as_of for _, _, as_of in rows} == {AS_OF}
    counts = dict(
        _query(warehouse, "select stage, count(*) from marts.customer_lifecycle group by 1")
    )
    assert sum(counts.values()) == len(customers)
    assert counts.keys() >= {"prospect", "active", "at_risk", "dormant", "lapsed"}


def test_monthly_history_has_one_stage_per_customer_from_signup_to_the_last_month_end(
    warehouse: Path, customers: dict[str, date]
) -> None:
    rows = _query(warehouse, "select customer_id, month_end from marts.customer_lifecycle_monthly")
    assert len(rows) == len(set(rows))
    by_customer: dict[str, list[date]] = defaultdict(list)
    for customer_id, month_end in rows:
        by_customer[customer_id].append(month_end)
    last = _month_ends(min(customers.values()), AS_OF)[-1]
    assert last == date(2026, 5, 31)  # D's own, partial month is not in the history
    expected = {
        c: _month_ends(signup, AS_OF)
        for c, signup in customers.items()
        if _month_end(signup) <= last
    }
    assert {c: sorted(ends) for c, ends in by_customer.items()} == expected
    per_month = dict(
        _query(
            warehouse, "select month_end, count(*) from marts.customer_lifecycle_monthly group by 1"
        )
    )
    for month_end, count in per_month.items():
        assert count == sum(1 for signup in customers.values() if signup <= month_end)


def test_no_mart_holds_data_after_d(warehouse: Path) -> None:
    checks = {
        "customer_lifecycle": "max(greatest(signup_date, last_purchase_date, first_purchase_date))",
        "customer_lifecycle_monthly": "max(month_end)",
        "lifecycle_flows_monthly": "max(month_end)",
        "lapse_tiers": "max(greatest(last_purchase_date, last_touch_date))",
    }
    for table, latest in checks.items():
        (value,) = _query(warehouse, f"select {latest} from marts.{table}")[0]
        assert value is not None and value <= AS_OF, table


def test_stage_r_and_value_score_as_of_d_follow_the_spec(
    warehouse: Path, customers: dict[str, date], transactions: dict[str, list[Txn]]
) -> None:
    actual = {
        c: (stage, r, score)
        for c, stage, r, score in _query(
            warehouse,
            "select customer_id, stage, r_days, value_score from marts.customer_lifecycle",
        )
    }
    expected = _expected_at(AS_OF, customers, transactions)
    assert actual == expected
    assert {s for s, _, _ in expected.values()} == STAGES


def test_monthly_history_follows_the_spec_at_every_month_end(
    warehouse: Path, customers: dict[str, date], transactions: dict[str, list[Txn]]
) -> None:
    actual: dict[date, dict] = defaultdict(dict)
    for month_end, c, stage, r, score in _query(
        warehouse,
        "select month_end, customer_id, stage, r_days, value_score "
        "from marts.customer_lifecycle_monthly",
    ):
        actual[month_end][c] = (stage, r, score)
    month_ends = _month_ends(min(customers.values()), AS_OF)
    assert sorted(actual) == month_ends
    for month_end in month_ends:
        assert actual[month_end] == _expected_at(month_end, customers, transactions), month_end


def test_flows_add_up_to_the_stage_counts_of_both_month_ends(warehouse: Path) -> None:
    stage_counts = {
        (month_end, stage): n
        for month_end, stage, n in _query(
            warehouse,
            "select month_end, stage, count(*) from marts.customer_lifecycle_monthly group by all",
        )
    }
    flows = _query(
        warehouse,
        "select month_end, from_stage, to_stage, customers from marts.lifecycle_flows_monthly",
    )
    assert all(n > 0 for *_, n in flows)
    into, out_of = Counter(), Counter()
    for month_end, from_stage, to_stage, n in flows:
        into[month_end, to_stage] += n
        if from_stage != "not_signed_up":
            previous_month_end = month_end.replace(day=1) - timedelta(days=1)
            out_of[previous_month_end, from_stage] += n
    month_ends = sorted({month_end for month_end, _ in stage_counts})
    assert dict(into) == stage_counts
    assert dict(out_of) == {k: n for k, n in stage_counts.items() if k[0] != month_ends[-1]}
    assert {f for m, f, _, _ in flows if m == month_ends[0]} == {"not_signed_up"}


def test_every_dormant_or_lapsed_customer_has_one_tier_row(warehouse: Path) -> None:
    lapsed = {
        c
        for (c,) in _query(
            warehouse,
            "select customer_id from marts.customer_lifecycle where stage in ('dormant', 'lapsed')",
        )
    }
    tiers = _query(
        warehouse,
        "select customer_id, recall_tier, lapse_band_number, lapse_band, r_days "
        "from marts.lapse_tiers",
    )
    assert Counter(c for c, *_ in tiers) == Counter(lapsed)
    assert {tier for _, tier, *_ in tiers} <= {1, 2, 3, 4, 5}
    labels = {1: "61-90", 2: "91-180", 3: "181-365", 4: "366+"}
    for _, _, band, label, r in tiers:
        assert labels[band] == label
        assert r > VARS["at_risk_days"]


def test_touch_counts_and_caps_use_touches_up_to_d(warehouse: Path) -> None:
    touches: dict[str, list[date]] = defaultdict(list)
    for customer_id, sent in _query(
        warehouse,
        "select customer_id, sent_date from staging.stg_recall_touches where not is_control",
    ):
        touches[customer_id].append(sent)
    rows = _query(
        warehouse,
        "select customer_id, last_touch_date, touches_last_30d, can_touch_next_day "
        "from marts.lapse_tiers",
    )
    next_day = AS_OF + timedelta(days=1)
    touched = 0
    for customer_id, last_touch, last_30d, can_touch in rows:
        sent = [d for d in touches[customer_id] if d <= AS_OF]
        expected_last = max(sent, default=None)
        in_cap_window = sum(1 for d in sent if (next_day - d).days < VARS["touch_window_days"])
        assert last_touch == expected_last
        assert last_30d == sum(1 for d in sent if (AS_OF - d).days < VARS["touch_window_days"])
        assert can_touch == (
            in_cap_window < VARS["max_touches_30d"]
            and (
                expected_last is None
                or (next_day - expected_last).days >= VARS["min_days_between_touches"]
            )
        )
        touched += last_30d > 0
    assert touched > 0


# --- The reporting timezone, through dbt from raw rows -------------------------------------

RAW_TYPES = {TIMESTAMP: "timestamp", DATE: "date", BOOLEAN: "boolean", AMOUNT: "decimal(18,4)"}
LOAD_COLUMNS = "_file_id bigint, _row_number bigint, _loaded_at timestamp, _row_hash varchar"
# Both purchases are late in the evening in New York, on the next day in UTC.
# fmt: off
TZ_ROWS = {
    "contacts": [
        ("c1", None, None, None, "east", "2025-12-01 12:00", "web", True, False, None, None,
         "2025-12-01 12:00"),
        ("c2", None, None, None, "east", "2025-12-01 12:00", "web", True, False, None, None,
         "2025-12-01 12:00"),
    ],
    "transactions": [
        # 23:30 on 31 January in New York (D); 1 February in UTC, after D.
        ("t1", "c1", "2026-02-01 04:30", "purchase", 20, "USD", "web", None),
        # 22:00 on 31 December in New York; 1 January in UTC.
        ("t2", "c2", "2026-01-01 03:00", "purchase", 10, "USD", "web", None),
    ],
}
# fmt: on


def _create_raw_tables(warehouse: Path, rows: dict[str, list[tuple]]) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw")
        for source in SOURCES:
            columns = ", ".join(
                f"{c.name} {RAW_TYPES.get(c.type, 'varchar')}" for c in source.columns
            )
            con.execute(f"create table raw.{source.name} ({columns}, {LOAD_COLUMNS})")
            for number, row in enumerate(rows.get(source.name, []), start=1):
                con.execute(
                    f"insert into raw.{source.name} values "
                    f"({', '.join('?' for _ in row)}, 1, {number}, timestamp '2026-02-10', 'hash')",
                    list(row),
                )


def test_purchase_dates_are_local_dates_in_the_reporting_timezone(tmp_path: Path) -> None:
    warehouse = Path(os.environ["RECALL_HOME"]) / "warehouse.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    _create_raw_tables(warehouse, TZ_ROWS)
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [
            str(dbt), "build", "--select", "+lifecycle_flows_monthly", "+lapse_tiers",
            "--resource-type", "seed", "--resource-type", "model",
            "--vars", "{as_of_date: '2026-01-31', reporting_timezone: America/New_York}",
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
            "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
        ],
        cwd=PROJECT_DIR, env=os.environ.copy(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]

    assert _query(
        warehouse,
        "select customer_id, stage, r_days, first_purchase_date, last_purchase_date "
        "from marts.customer_lifecycle order by customer_id",
    ) == [
        ("c1", "new", 0, date(2026, 1, 31), date(2026, 1, 31)),
        ("c2", "at_risk", 31, date(2025, 12, 31), date(2025, 12, 31)),
    ]
    # D = 31 January is a month end, so its month is in the history.
    assert _query(
        warehouse,
        "select month_end, customer_id, stage, r_days "
        "from marts.customer_lifecycle_monthly order by month_end, customer_id",
    ) == [
        (date(2025, 12, 31), "c1", "prospect", None),
        (date(2025, 12, 31), "c2", "new", 0),
        (date(2026, 1, 31), "c1", "new", 0),
        (date(2026, 1, 31), "c2", "at_risk", 31),
    ]
    assert _query(
        warehouse,
        "select month_end, from_stage, to_stage, customers "
        "from marts.lifecycle_flows_monthly order by month_end, from_stage, to_stage",
    ) == [
        (date(2025, 12, 31), "not_signed_up", "new", 1),
        (date(2025, 12, 31), "not_signed_up", "prospect", 1),
        (date(2026, 1, 31), "new", "at_risk", 1),
        (date(2026, 1, 31), "prospect", "new", 1),
    ]
