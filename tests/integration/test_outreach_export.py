"""`recall export outreach` (SPEC §8, §10) on a published home: the touchable dormant and
lapsed customers by tier, then by value, with the contact details of the channels their
newest contact record allows only, in a file readable by its owner only whose first line says
it holds personal data."""

from __future__ import annotations

import csv
import stat
import subprocess
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from integration_helpers import RECALL, copy_home, recall_environment

pytestmark = pytest.mark.integration

HEADER = [
    "recall_tier",
    "customer_id",
    "full_name",
    "allowed_channels",
    "email",
    "phone",
    "value_score",
    "lapse_band",
    "r_days",
    "stage",
    "last_purchase_date",
    "last_touch_date",
    "touches_last_30d",
]
# A channel, the newest record's opt-in it needs, and the contact detail it needs (if any).
CHANNELS = {
    "sms": ("sms_opt_in", "phone"),
    "push": ("push_opt_in", None),
    "email": ("email_opt_in", "email"),
    "phone": ("phone_opt_in", "phone"),
}


@pytest.fixture
def home(published_home: Path, tmp_path: Path) -> Path:
    return copy_home(published_home, tmp_path / "home")


def _export(home: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(RECALL), "export", "outreach", *options],
        env=recall_environment(home),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _as_of_date(home: Path) -> date:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()[0]


def _read(path: Path) -> tuple[str, list[str], list[dict[str, str]]]:
    """The export's first line, its header and its rows."""
    with path.open(encoding="utf-8", newline="") as handle:
        first_line = handle.readline().rstrip("\n")
        reader = csv.DictReader(handle)
        return first_line, list(reader.fieldnames or []), list(reader)


def _records(con: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, object]]:
    cursor = con.execute(query)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _text(value: object) -> str:
    """A value as the CSV file writes it."""
    return "" if value is None else str(value)


def _expected(home: Path) -> list[dict[str, str]]:
    """The list worked out from lapse_tiers and the raw contact versions: the customers who
    may be touched on D + 1, each channel allowed by the newest version's opt-in and detail,
    customers without a channel left out, by tier, value_score (highest first), R, id."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        touchable = _records(con, "from marts.lapse_tiers where can_touch_next_day")
        versions = _records(con, "from raw.contacts order by contact_id, updated_at")
    newest = {version["contact_id"]: version for version in versions}
    rows = []
    for customer in touchable:
        record = newest[customer["customer_id"]]
        allowed = [
            channel
            for channel, (opt_in, detail) in CHANNELS.items()
            if record[opt_in] and (detail is None or record[detail] is not None)
        ]
        if allowed:
            rows.append(
                {
                    **{name: _text(customer.get(name)) for name in HEADER},
                    "full_name": record["full_name"],
                    "allowed_channels": ",".join(allowed),
                    "email": record["email"] if "email" in allowed else "",
                    "phone": record["phone"] if {"sms", "phone"} & set(allowed) else "",
                }
            )
    return sorted(
        rows,
        key=lambda row: (
            int(row["recall_tier"]),
            -int(row["value_score"]),
            int(row["r_days"]),
            row["customer_id"],
        ),
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_export_lists_touchable_customers_by_tier_then_value_with_allowed_details_only(
    home: Path,
) -> None:
    as_of_date = _as_of_date(home)
    path = home / "exports" / f"outreach_{as_of_date}.csv"
    expected = _expected(home)

    result = _export(home)

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Outreach list as of {as_of_date}: {len(expected)} customers, written to {path} "
        "(personal data, readable by you only: for the recall team, not for sharing or BI).\n"
    )
    assert _mode(path) == 0o600
    first_line, header, rows = _read(path)
    assert first_line == (
        "# PERSONAL DATA (names, email addresses, phone numbers), for the recall team only: do "
        "not share this file or load it into a BI tool. Dormant and lapsed customers as of "
        f"{as_of_date} whom the contact caps allow to contact on {as_of_date + timedelta(1)}, "
        "newest opt-outs applied."
    )
    assert header == HEADER
    assert rows == expected
    # The fixture exercises the rules: several tiers, customers with several channels and
    # with a channel but no email, and lapsed customers left out for having no channel.
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        dormant_or_lapsed = con.execute("select count(*) from marts.lapse_tiers").fetchone()[0]
    assert len({row["recall_tier"] for row in rows}) == 5
    assert any("," in row["allowed_channels"] for row in rows)
    assert any(row["email"] == "" and row["phone"] != "" for row in rows)
    assert 0 < len(rows) < dormant_or_lapsed


def test_a_newest_opt_out_and_the_contact_cap_apply_even_after_d(home: Path) -> None:
    as_of_date = _as_of_date(home)
    assert _export(home).returncode == 0
    path = home / "exports" / f"outreach_{as_of_date}.csv"
    _, _, before = _read(path)
    keeps_sms = next(row for row in before if row["allowed_channels"] == "sms,email")
    only_email = next(row for row in before if row["allowed_channels"] == "email")
    over_cap = next(row for row in before if row not in (keeps_sms, only_email))
    # A CRM update after D takes email consent back from two customers; another customer
    # is at the contact cap (no touch allowed on D + 1). The last export was left readable
    # by others.
    opted_out_at = datetime.combine(as_of_date + timedelta(days=1), time(12))
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for customer in (keeps_sms, only_email):
            con.execute(
                "insert into raw.contacts "
                "select * replace (false as email_opt_in, ? as updated_at) from raw.contacts "
                "where contact_id = ? order by updated_at desc limit 1",
                [opted_out_at, customer["customer_id"]],
            )
        con.execute(
            "update marts.lapse_tiers set can_touch_next_day = false where customer_id = ?",
            [over_cap["customer_id"]],
        )
    path.chmod(0o644)

    result = _export(home)

    assert result.returncode == 0, result.stderr
    assert _mode(path) == 0o600
    _, _, after = _read(path)
    assert after == _expected(home)
    listed = {row["customer_id"]: row for row in after}
    assert listed[keeps_sms["customer_id"]] == keeps_sms | {"allowed_channels": "sms", "email": ""}
    assert only_email["customer_id"] not in listed
    assert over_cap["customer_id"] not in listed
    assert len(after) == len(before) - 2


def test_tier_channel_and_limit_narrow_the_list_and_its_details(home: Path) -> None:
    assert _export(home).returncode == 0
    as_of_date = _as_of_date(home)
    path = home / "exports" / f"outreach_{as_of_date}.csv"
    _, _, everyone = _read(path)

    result = _export(home, "--tier", "2", "--tier", "3", "--channel", "SMS", "--limit", "3")

    assert result.returncode == 0, result.stderr
    assert f": 3 customers, written to {path} " in result.stdout
    _, _, rows = _read(path)
    assert (
        rows
        == [
            row | {"allowed_channels": "sms", "email": ""}
            for row in everyone
            if row["recall_tier"] in {"2", "3"} and "sms" in row["allowed_channels"].split(",")
        ][:3]
    )

    assert _export(home, "--channel", "push", "--channel", "email").returncode == 0
    _, _, rows = _read(path)
    assert rows == [
        row
        | {
            "allowed_channels": ",".join(
                c for c in row["allowed_channels"].split(",") if c in {"push", "email"}
            ),
            "phone": "",
        }
        for row in everyone
        if {"push", "email"} & set(row["allowed_channels"].split(","))
    ]
    assert any(row["allowed_channels"] == "push" and row["email"] == "" for row in rows)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--tier", "6"], "Invalid value for '--tier': 6 is not in the range 1<=x<=5."),
        (
            ["--channel", "visit"],
            "Invalid value for '--channel': visit is never exported: the contact records hold "
            "no opt-in to visits and no address; choose from sms, push, email, phone",
        ),
        (
            ["--channel", "fax"],
            "Invalid value for '--channel': 'fax' is not a channel: choose from sms, push, "
            "email, phone",
        ),
        (["--limit", "0"], "Invalid value for '--limit': 0 is not in the range x>=1."),
    ],
)
def test_a_bad_option_is_refused_in_one_line_and_writes_nothing(
    home: Path, options: list[str], message: str
) -> None:
    result = _export(home, *options)

    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert "Traceback" not in result.stderr
    assert not (home / "exports").exists()


def test_a_home_that_never_published_says_to_run_first(tmp_path: Path) -> None:
    home = tmp_path / "home"

    result = _export(home)

    assert result.returncode == 1
    assert result.stderr == (
        f"Error: no run has published in {home} yet ({home / 'warehouse.duckdb'} does not "
        "exist): run `recall run` first; the export lists the customers of the last published "
        "run\n"
    )
    assert not home.exists()


def test_the_export_explains_itself() -> None:
    result = subprocess.run(
        [str(RECALL), "export", "outreach", "--help"], capture_output=True, text=True
    )

    assert result.returncode == 0
    assert "Write the recall team's contact list, a CSV file of personal data." in result.stdout
    for option in ("--tier N", "--channel CHANNEL", "--limit N"):
        assert option in result.stdout
