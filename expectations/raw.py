"""The raw tables ingest writes (SPEC §3), one suite per landing source, all derived from
the landing contract (``orchestration/contract.py``): a row that reached ``raw`` has passed
ingest's row rules, so these checks hold on every load, and a failure means ingest let
something through.
"""

from __future__ import annotations

from functools import cache

import duckdb

from expectations.spec import (
    Check,
    Suite,
    between,
    column_types,
    currency_code,
    one_of,
    references,
    rows,
    unique,
)
from expectations.spec import suite as make_suite
from orchestration.contract import (
    AMOUNT,
    CAMPAIGN_OFFERS,
    CONTACTS,
    RATE,
    SOURCES,
    TIMESTAMP,
    TOUCH_OUTCOMES,
    TRANSACTION_KINDS,
    Source,
)
from orchestration.ingest.rules import Reference
from orchestration.ingest.tables import columns_ddl
from orchestration.settings import DEFAULT_CURRENCY, SEEDS_DIR

ACCEPTED_VALUES = {"kind": TRANSACTION_KINDS, "outcome": TOUCH_OUTCOMES, "offer": CAMPAIGN_OFFERS}


def seeded_channels() -> tuple[str, ...]:
    """The channels of seeds/channels.csv, which users may extend: the list ingest checks
    against. Read from the seed file, since the raw suites run before dbt loads the seeds."""
    return Reference.from_seeds(SEEDS_DIR, DEFAULT_CURRENCY).channels


# Where each row came from: the sample of a failure points at the landing file's row.
LOAD_KEY = ("_file_id", "_row_number")


@cache
def contract_types(source: Source) -> dict[str, str]:
    """The column types of ``raw.<source>`` exactly as ingest creates the table, with their
    NOT NULL constraints (required columns and load metadata: no null to check for)."""
    with duckdb.connect() as con:
        con.execute(f"create table t ({columns_ddl(source)})")
        described = con.execute('select column_name, column_type, "null" from (describe t)')
        return {
            name: f"{data_type} NOT NULL" if nullable == "NO" else data_type
            for name, data_type, nullable in described.fetchall()
        }


def checks(source: Source) -> list[Check]:
    columns = source.columns
    names = {c.name for c in columns}
    return [
        column_types(contract_types(source)),
        unique(*source.key),
        *(one_of(name, values) for name, values in ACCEPTED_VALUES.items() if name in names),
        *([one_of("channel", seeded_channels())] if "channel" in names else []),
        *([currency_code()] if "currency" in names else []),
        *(between(c.name, low=0) for c in columns if c.type == AMOUNT),
        *(
            rows(f"{c.name} > 0", f"b.{c.name} <= 0", c.name, column=c.name)
            for c in columns
            if c.type == RATE
        ),
        *(
            rows(
                f"{c.name} at most one day after the load",
                f"b.{c.name} > b._loaded_at + interval 1 day",
                c.name,
                "_loaded_at",
                column=c.name,
            )
            for c in columns
            if c.type == TIMESTAMP
        ),
        # Rows whose contact is not known yet are parked in ingest.parked_<source>, not raw.
        *([references("contact_id", f"raw.{CONTACTS.name}")] if source.has_contact_fk else []),
    ]


SUITES: list[Suite] = [
    make_suite(
        f"raw.{source.name}",
        "raw",
        (*source.key, *LOAD_KEY),
        checks(source),
        description=f"The {source.name} landing files as ingest loaded them.",
        # Raw tables are append-only (a replaced file's rows leave them, which the caller
        # answers with a whole validation): a nightly run validates what it loaded.
        new_rows="b._loaded_at > {loaded_after}",
    )
    for source in SOURCES
]
