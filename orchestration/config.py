"""Run settings, read in one place: command-line options override environment variables,
which override the defaults below."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_DIR / "seeds"

DEFAULT_TIMEZONE = "UTC"
DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_dir: Path
    timezone: str = DEFAULT_TIMEZONE
    currency: str = DEFAULT_CURRENCY
    as_of_date: date | None = None

    @property
    def warehouse_path(self) -> Path:
        """The working DuckDB file the pipeline writes (never read by BI)."""
        return self.home / "warehouse.duckdb"

    @property
    def published_path(self) -> Path:
        """The read-only DuckDB file BI tools open."""
        return self.home / "published" / "recall.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    def with_overrides(self, **overrides: object) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def load_settings(**overrides: object) -> Settings:
    """Settings from RECALL_* environment variables, then keyword overrides."""
    home = Path(os.environ.get("RECALL_HOME", "data")).resolve()
    landing = os.environ.get("RECALL_LANDING")
    as_of = os.environ.get("RECALL_AS_OF")
    settings = Settings(
        home=home,
        landing_dir=Path(landing).resolve() if landing else home / "landing",
        timezone=os.environ.get("RECALL_TIMEZONE", DEFAULT_TIMEZONE),
        currency=os.environ.get("RECALL_CURRENCY", DEFAULT_CURRENCY).strip().upper(),
        as_of_date=date.fromisoformat(as_of) if as_of else None,
    )
    return settings.with_overrides(**overrides)
