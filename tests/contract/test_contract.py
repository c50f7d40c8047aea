"""The landing contract (orchestration/contract.py) is the one home of the source columns,
enums and reason codes: the dbt sources, the shipped seeds and the sample generator must
say the same."""

from __future__ import annotations

import csv

import yaml

from orchestration import contract
from orchestration.settings import PROJECT_DIR, SEEDS_DIR

SOURCES_YML = PROJECT_DIR / "models" / "staging" / "_staging__sources.yml"


def _raw_tables() -> dict[str, dict]:
    (raw,) = [s for s in yaml.safe_load(SOURCES_YML.read_text())["sources"] if s["name"] == "raw"]
    return {table["name"]: table for table in raw["tables"]}


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_dbt_sources_are_the_contract_sources_with_their_columns_in_order() -> None:
    tables = _raw_tables()

    assert set(tables) == {source.name for source in contract.SOURCES}
    for source in contract.SOURCES:
        columns = [c["name"] for c in tables[source.name]["columns"]]
        assert columns == list(source.column_names), source.name


def test_the_raw_suites_accept_exactly_the_contract_enums() -> None:
    """The raw expectation suites own the accepted values of the raw tables (the dbt sources
    repeat no test), and they check the contract's."""
    from expectations.raw import SUITES

    suites = {suite.table: suite for suite in SUITES}
    enums = {
        ("transactions", "kind"): contract.TRANSACTION_KINDS,
        ("recall_touches", "outcome"): contract.TOUCH_OUTCOMES,
        ("campaigns", "offer"): contract.CAMPAIGN_OFFERS,
    }
    for (table, column), allowed in enums.items():
        (check,) = [
            c for c in suites[f"raw.{table}"].checks if c.name.startswith(f"{column} is one of")
        ]
        assert check.name == f"{column} is one of {', '.join(allowed)}", table


def test_the_channels_seed_ships_every_contract_channel() -> None:
    shipped = [row["channel"] for row in _seed("channels.csv")]

    assert set(contract.TOUCH_CHANNELS) <= set(shipped)
    outreach = {row["channel"]: row["is_outreach"] for row in _seed("channels.csv")}
    assert outreach[contract.CONTROL_CHANNEL] == "false"


def test_the_lapse_reasons_seed_labels_every_fixed_code_in_its_group() -> None:
    groups = {row["reason_code"]: row["reason_group"] for row in _seed("lapse_reasons.csv")}

    for group, codes in contract.LAPSE_REASON_GROUPS.items():
        for code in codes:
            assert groups.get(code) == group, code


def test_the_generator_writes_the_contract_vocabulary() -> None:
    from sample_data import reference

    assert reference.TRANSACTION_KINDS is contract.TRANSACTION_KINDS
    assert reference.CHANNELS is contract.TOUCH_CHANNELS
    assert reference.OUTCOMES is contract.TOUCH_OUTCOMES
    assert reference.CAMPAIGN_OFFERS is contract.CAMPAIGN_OFFERS
    assert reference.LAPSE_REASON_CODES is contract.LAPSE_REASON_CODES


def test_reason_codes_are_unique_and_the_rechecked_ones_are_reasons() -> None:
    assert len(set(contract.REASONS)) == len(contract.REASONS)
    assert set(contract.RECHECKED_REASONS) <= set(contract.REASONS)


def test_every_text_column_but_email_and_phone_has_the_spec_length_limit() -> None:
    # SPEC §3: an id or a code longer than 64 characters, a region longer than 64, a name
    # longer than 200 is too_long. SPEC sets no limit for email and phone.
    names = {"full_name", "name"}
    unlimited = {"email", "phone"}
    for source in contract.SOURCES:
        for column in source.columns:
            if column.type != contract.TEXT or column.name in unlimited:
                assert column.max_length is None, (source.name, column.name)
            elif column.name in names:
                assert column.max_length == 200, (source.name, column.name)
            else:
                assert column.max_length == 64, (source.name, column.name)
    assert "too_long" in contract.REASONS
    assert "too_long" not in contract.RECHECKED_REASONS
