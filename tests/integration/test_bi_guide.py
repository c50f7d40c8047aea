"""docs/bi-guide.md against a real publication: every example query runs read-only on the
published file and gives figures that add up, the guide's Python and SQLAlchemy snippets
connect read-only and list every column with its description (as Superset does), and no
published value is an e-mail address, a phone number or a customer's name."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.sql import sql_identifier

pytestmark = pytest.mark.integration

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "bi-guide.md"
GUIDE_PATH = "data/published/recall.duckdb"  # the path the guide's snippets open

# The guide's example queries, by the heading above each, with the columns each returns.
EXAMPLES = {
    "Every column and what it means": ["table_name", "column_name", "data_type", "comment"],
    "Recall rate by channel over the last 12 months": [
        "channel",
        "months_with_touches",
        "contacted_customers",
        "recalled_customers",
        "recall_rate",
        "all_months_final",
    ],
    "Monthly recall rate, final or provisional": [
        "month",
        "lapsed_at_month_start",
        "contacted_customers",
        "recalled_customers",
        "recall_rate",
        "lift",
        "cost",
        "cost_per_recall",
        "is_final",
        "retention_is_final",
    ],
    "Lapse tiers to contact this week": [
        "recall_tier",
        "customer_id",
        "stage",
        "lapse_band",
        "value_score",
        "r_days",
        "contactable_channels",
        "last_touch_date",
        "touches_30d_to_next_day",
        "contact_from",
    ],
    "Lifecycle flow for a month": [
        "month_end",
        "from_stage",
        "to_stage",
        "customers",
        "share_of_from_stage",
    ],
    "Lapsed pool roll-forward": [
        "month",
        "month_end",
        "opening",
        "became_dormant",
        "recalled_returns",
        "organic_returns",
        "closing",
        "reconciles",
    ],
}

# Personal data as it would look in a published value. Phone numbers need a leading "+" or
# a parenthesised area code, or the generator's local "ddd dddd": a bare run of digits would
# match customer ids (C0000002), dates and amounts.
EMAIL = r"[^@\s]+@[^@\s]+\.[a-z]{2,}"
PHONE = r"(\+|\(\d{1,4}\)\s?)\d{1,4}([\s\-]?\d){6,}"
LOCAL_PHONE = r"(^|\D)\d{3}[ \-]\d{4}(\D|$)"
PII_PATTERNS = {"email": EMAIL, "phone": PHONE, "local phone": LOCAL_PHONE}


def code_blocks(language: str) -> list[tuple[str, str]]:
    """(the heading above it, its code) for every fenced block of ``language`` in the guide."""
    blocks, heading, code = [], "", None
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        if code is not None:
            if line.startswith("```"):
                blocks.append((heading, "\n".join(code)))
                code = None
            else:
                code.append(line)
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.strip() == f"```{language}":
            code = []
    return blocks


def snippet(containing: str) -> str:
    """The guide's one Python block containing ``containing``."""
    found = [code for _, code in code_blocks("python") if containing in code]
    assert len(found) == 1, f"one python block with {containing!r} in {GUIDE}"
    return found[0]


@pytest.fixture(scope="module")
def published(published_home: Path) -> Path:
    return published_home / "published" / "recall.duckdb"


@pytest.fixture
def con(published: Path):
    with duckdb.connect(str(published), read_only=True) as connection:
        yield connection


def run_example(con: duckdb.DuckDBPyConnection, title: str) -> list[dict]:
    sql = dict(code_blocks("sql"))[title]
    result = con.execute(sql)
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name = 'main' "
            "order by table_name"
        ).fetchall()
    ]


def grand_totals(con: duckdb.DuckDBPyConnection) -> list[dict]:
    result = con.execute(
        "select * from recall_kpis_monthly "
        "where channel = 'all' and recall_tier = 'all' and campaign_id = 'all' order by month"
    )
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def test_guide_has_every_example_once():
    titles = [title for title, _ in code_blocks("sql")]
    assert titles == list(EXAMPLES)


@pytest.mark.parametrize("title", list(EXAMPLES))
def test_example_runs_on_the_published_file(con, title):
    result = con.execute(dict(code_blocks("sql"))[title])
    assert [column[0] for column in result.description] == EXAMPLES[title]
    assert result.fetchall(), f"{title!r} returned no rows"


def test_column_listing_documents_every_published_table(con):
    rows = run_example(con, "Every column and what it means")
    assert sorted({row["table_name"] for row in rows}) == published_tables(con)
    undocumented = [f"{r['table_name']}.{r['column_name']}" for r in rows if not r["comment"]]
    assert undocumented == []


def test_recall_rate_by_channel_is_summed_counts_of_the_last_12_months(con):
    rows = {
        row["channel"]: row
        for row in run_example(con, "Recall rate by channel over the last 12 months")
    }
    months = [row["month"] for row in grand_totals(con)][-12:]
    assert len(months) == 12
    expected = defaultdict(lambda: {"months": 0, "contacted": 0, "recalled": 0, "final": True})
    for channel, month, contacted, recalled, is_final in con.execute(
        "select channel, month, contacted_customers, recalled_customers, is_final "
        "from recall_kpis_monthly where recall_tier = 'all' and campaign_id = 'all'"
    ).fetchall():
        if month in months:
            totals = expected[channel]
            totals["months"] += 1
            totals["contacted"] += contacted
            totals["recalled"] += recalled
            totals["final"] &= is_final
    assert set(rows) == set(expected)
    assert "all" in rows and len(rows) > 1
    for channel, totals in expected.items():
        row = rows[channel]
        assert row["months_with_touches"] == totals["months"]
        assert row["contacted_customers"] == totals["contacted"]
        assert row["recalled_customers"] == totals["recalled"]
        assert row["all_months_final"] == totals["final"]
        if totals["contacted"]:
            assert row["recall_rate"] == pytest.approx(totals["recalled"] / totals["contacted"])
        else:
            assert row["recall_rate"] is None
    # D's month is in the window and is never final.
    assert rows["all"]["all_months_final"] is False


def test_monthly_trend_is_the_last_12_grand_total_rows(con):
    rows = run_example(con, "Monthly recall rate, final or provisional")
    totals = grand_totals(con)[-12:]
    assert [row["month"] for row in rows] == [row["month"] for row in totals]
    assert len(rows) == 12
    for row, total in zip(rows, totals, strict=True):
        assert row == {
            column: total[column]
            for column in EXAMPLES["Monthly recall rate, final or provisional"]
        }
    finals = [row["is_final"] for row in rows]
    # Final months come first; D's month is never final.
    assert finals == sorted(finals, reverse=True)
    assert finals[-1] is False


def test_contact_list_is_every_touchable_opted_in_lapsed_customer_tier_first(con):
    rows = run_example(con, "Lapse tiers to contact this week")
    expected = {
        customer_id: (tier, as_of_date)
        for customer_id, tier, as_of_date, can_touch, channels in con.execute(
            "select customer_id, recall_tier, as_of_date, can_touch_next_day, "
            "contactable_channels from lapse_tiers"
        ).fetchall()
        if can_touch and channels
    }
    assert sorted(row["customer_id"] for row in rows) == sorted(expected)
    assert len(rows) < con.execute("select count(*) from lapse_tiers").fetchone()[0]
    tiers = [row["recall_tier"] for row in rows]
    assert tiers == sorted(tiers)
    for row in rows:
        tier, as_of_date = expected[row["customer_id"]]
        assert row["recall_tier"] == tier
        assert row["contact_from"] == as_of_date + timedelta(days=1)


def test_lifecycle_flow_adds_up_to_the_stage_counts(con):
    rows = run_example(con, "Lifecycle flow for a month")
    month_ends = [
        row[0]
        for row in con.execute(
            "select distinct month_end from customer_lifecycle_monthly order by month_end"
        ).fetchall()
    ]
    previous, month_end = month_ends[-2:]
    assert {row["month_end"] for row in rows} == {month_end}
    stage_counts = defaultdict(Counter)
    for date, stage, customers in con.execute(
        "select month_end, stage, count(*) from customer_lifecycle_monthly group by all"
    ).fetchall():
        stage_counts[date][stage] = customers

    into, out_of, shares = Counter(), Counter(), defaultdict(float)
    for row in rows:
        into[row["to_stage"]] += row["customers"]
        out_of[row["from_stage"]] += row["customers"]
        shares[row["from_stage"]] += row["share_of_from_stage"]
    assert into == stage_counts[month_end]
    del out_of["not_signed_up"]  # customers who signed up during the month
    assert out_of == stage_counts[previous]
    assert all(share == pytest.approx(1) for share in shares.values())


def test_pool_roll_forward_reconciles_every_month(con):
    rows = run_example(con, "Lapsed pool roll-forward")
    assert len(rows) == 12
    for row in rows:
        assert (
            row["opening"]
            + row["became_dormant"]
            - row["recalled_returns"]
            - row["organic_returns"]
            == row["closing"]
        )
        assert row["reconciles"] is True
    for before, after in pairwise(rows):
        assert after["opening"] == before["closing"]
    pool_at_month_start = {row["month"]: row["lapsed_at_month_start"] for row in grand_totals(con)}
    assert all(row["opening"] == pool_at_month_start[row["month"]] for row in rows)
    # D's month closes at D: its closing is today's dormant and lapsed customers.
    assert rows[-1]["closing"] == con.execute("select count(*) from lapse_tiers").fetchone()[0]


def test_python_snippet_opens_the_file_read_only(published):
    namespace: dict = {}
    exec(snippet("duckdb.connect(").replace(GUIDE_PATH, str(published)), namespace)
    connection = namespace["con"]
    try:
        assert len(namespace["pool"]) > 0
        assert connection.execute(
            "select readonly from duckdb_databases() where database_name = current_database()"
        ).fetchone() == (True,)
    finally:
        connection.close()


def test_sqlalchemy_snippet_lists_every_table_and_commented_column(published):
    from sqlalchemy import inspect, text

    # What DuckDB itself says, read first: one process cannot hold the file open twice
    # with different settings (duckdb-engine adds its user agent).
    with duckdb.connect(str(published), read_only=True) as duck:
        tables = published_tables(duck)
        described = {
            table: [row[0] for row in duck.execute(f"describe {sql_identifier(table)}").fetchall()]
            for table in tables
        }
        comments = {
            (table, column): comment
            for table, column, comment in duck.execute(
                "select table_name, column_name, comment from duckdb_columns() "
                "where database_name = current_database() and schema_name = 'main'"
            ).fetchall()
        }

    assert f'"duckdb:///{GUIDE_PATH}"' in snippet("create_engine(")
    namespace: dict = {}
    exec(snippet("create_engine(").replace(GUIDE_PATH, str(published)), namespace)
    engine = namespace["engine"]
    try:
        with engine.connect() as connection:
            assert connection.execute(
                text(
                    "select readonly from duckdb_databases() "
                    "where database_name = current_database()"
                )
            ).fetchone() == (True,)
        inspector = inspect(engine)
        assert sorted(inspector.get_table_names()) == tables
        assert [(c["name"], c["comment"]) for c in namespace["columns"]] == [
            (column, comments["recall_kpis_monthly", column])
            for column in described["recall_kpis_monthly"]
        ]
        for table in tables:
            columns = inspector.get_columns(table)
            assert [column["name"] for column in columns] == described[table]
            for column in columns:
                assert column["comment"], f"{table}.{column['name']} has no comment"
                assert column["comment"] == comments[table, column["name"]]
            assert inspector.get_table_comment(table)["text"], f"{table} has no comment"
    finally:
        engine.dispose()


def test_published_file_opens_in_duckdb_1_0_and_later(con):
    assert con.execute(
        "select tags['storage_version'] from duckdb_databases() "
        "where database_name = current_database()"
    ).fetchone() == ("v1.0.0+",)


@pytest.fixture(scope="module")
def contact_details(published_home: Path) -> dict[str, list[str]]:
    """Every name, e-mail address and phone number of the working warehouse's raw contacts."""
    with duckdb.connect(str(published_home / "warehouse.duckdb"), read_only=True) as warehouse:
        return {
            kind: [
                row[0]
                for row in warehouse.execute(
                    f"select distinct {kind} from raw.contacts where {kind} is not null"
                ).fetchall()
            ]
            for kind in ("full_name", "email", "phone")
        }


def test_pii_patterns_catch_the_generated_contact_details(contact_details):
    assert all(len(values) > 100 for values in contact_details.values())
    assert all(re.search(EMAIL, email, re.IGNORECASE) for email in contact_details["email"])
    assert all(re.search(PHONE, phone) for phone in contact_details["phone"])
    assert all(re.search(LOCAL_PHONE, phone) for phone in contact_details["phone"])
    assert all(re.search(PHONE, phone) for phone in ("(030) 1234 5678", "+1-212-555-0100"))
    for harmless in (
        "C0000002",
        "T0012345",
        "2026-09-30",
        "2026-09-30 23:59:59",
        "1234567.89",
        "-12.50",
    ):
        assert not any(re.search(pattern, harmless) for pattern in PII_PATTERNS.values()), harmless


def test_no_published_value_is_an_email_phone_or_name(published, contact_details):
    with duckdb.connect() as scan:
        scan.execute(f"attach '{published}' as published (read_only)")
        scan.execute("create temp table contact_details (kind varchar, detail varchar)")
        for kind, values in contact_details.items():
            scan.executemany(
                "insert into contact_details values (?, ?)", [(kind, value) for value in values]
            )
        columns = scan.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where database_name = 'published' order by table_name, column_index"
        ).fetchall()
        assert len({table for table, _, _ in columns}) >= 12
        found = []
        for table, column, data_type in columns:
            quoted = sql_identifier(column)
            values = (
                f"select distinct cast({quoted} as varchar) as value "
                f"from published.main.{sql_identifier(table)} where {quoted} is not null"
            )
            for name, pattern in PII_PATTERNS.items():
                hit = scan.execute(
                    f"select any_value(value) from ({values}) where regexp_matches(value, ?, 'i')",
                    [pattern],
                ).fetchone()[0]
                if hit is not None:
                    found.append(f"{table}.{column}: {name} {hit!r}")
            if data_type == "VARCHAR":
                hit = scan.execute(
                    f"select any_value(kind || ' ' || detail) from ({values}) as published_values "
                    "inner join contact_details "
                    "on contains(published_values.value, contact_details.detail)"
                ).fetchone()[0]
                if hit is not None:
                    found.append(f"{table}.{column}: {hit!r}")
    assert found == []
