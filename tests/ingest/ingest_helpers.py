"""Hand-written landing files for the ingest tests, and a look into the warehouse after."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.contract import SOURCES_BY_NAME
from orchestration.ingest import IngestSummary, ingest_landing
from orchestration.settings import Settings

LOADED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

# One valid row per source; tests override the columns they are about.
GOOD_ROWS: dict[str, dict[str, str]] = {
    "currency_rates": {"rate_date": "1997-01-02", "currency": "USD", "value_in_base": "0.8562"},
    "contacts": {
        "contact_id": "C1",
        "full_name": "Ann Lee",
        "email": "ann@example.com",
        "phone": "+15550001",
        "region": "north",
        "signup_at": "2025-01-10T09:00:00Z",
        "acquisition_channel": "organic",
        "sms_opt_in": "true",
        "email_opt_in": "true",
        "push_opt_in": "false",
        "phone_opt_in": "true",
        "updated_at": "2025-01-10T09:00:00Z",
    },
    "transactions": {
        "transaction_id": "T1",
        "contact_id": "C1",
        "occurred_at": "2026-01-15T10:00:00Z",
        "kind": "purchase",
        "amount": "25.00",
        "currency": "USD",
        "store_or_channel": "web",
        "category": "shoes",
    },
    "recall_touches": {
        "touch_id": "R1",
        "contact_id": "C1",
        "campaign_id": "K1",
        "channel": "sms",
        "sent_at": "2026-01-15T10:00:00Z",
        "delivered": "true",
        "opened_at": "",
        "clicked_at": "",
        "outcome": "reached",
        "lapse_reason_code": "price",
        "cost": "0.05",
        "currency": "USD",
    },
    "campaigns": {
        "campaign_id": "K1",
        "name": "Winter win-back",
        "starts_on": "2026-01-01",
        "ends_on": "2026-01-31",
        "offer": "coupon",
        "target_tiers": "1|2",
        "fixed_cost": "500",
        "currency": "USD",
    },
}


def row(source: str, **overrides: str) -> dict[str, str]:
    """A valid row of ``source`` with some columns replaced."""
    unknown = set(overrides) - set(GOOD_ROWS[source])
    assert not unknown, f"not {source} columns: {unknown}"
    return {**GOOD_ROWS[source], **overrides}


def csv_text(rows: list[dict[str, str]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


class Landing:
    """A landing directory and warehouse under a temporary folder."""

    def __init__(self, root: Path, timezone: str = "UTC") -> None:
        self.dir = root / "landing"
        self.settings = Settings(home=root / "home", landing_dir=self.dir, timezone=timezone)

    def path(self, source: str, name: str) -> Path:
        folder = self.dir / source
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def write(
        self,
        source: str,
        name: str,
        rows: list[dict[str, str]],
        *,
        columns: list[str] | None = None,
    ) -> Path:
        """A UTF-8 CSV file with a header (the contract columns unless given)."""
        columns = columns or list(SOURCES_BY_NAME[source].column_names)
        path = self.path(source, name)
        path.write_text(csv_text(rows, columns), encoding="utf-8")
        return path

    def write_bytes(self, source: str, name: str, content: bytes) -> Path:
        path = self.path(source, name)
        path.write_bytes(content)
        return path

    def contacts(self, *ids: str, name: str = "contacts_001.csv") -> Path:
        """A contacts file with one valid record per id."""
        return self.write("contacts", name, [row("contacts", contact_id=i) for i in ids])

    def run(self, loaded_at: datetime = LOADED_AT) -> IngestSummary:
        return ingest_landing(self.settings, loaded_at=loaded_at)

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]

    def quarantined(self) -> list[tuple[str, str, int, str]]:
        """(source, file_name, row_number, reason) of every quarantined row."""
        return self.query(
            "select source, file_name, row_number, reason from ingest.quarantine "
            "order by source, file_name, row_number"
        )
