"""The run settings as a Dagster resource shared by every asset of the graph."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dagster import ConfigurableResource

from orchestration.config import Settings


class RecallSettings(ConfigurableResource):
    """Where the warehouse lives and how a run reports: home directory, landing directory,
    reporting timezone and currency, and the as-of date D (empty: the latest transaction
    date in the data)."""

    home: str
    landing_dir: str
    timezone: str
    currency: str
    as_of_date: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RecallSettings:
        return cls(
            home=str(settings.home),
            landing_dir=str(settings.landing_dir),
            timezone=settings.timezone,
            currency=settings.currency,
            as_of_date=settings.as_of_date.isoformat() if settings.as_of_date else None,
        )

    def settings(self) -> Settings:
        return Settings(
            home=Path(self.home),
            landing_dir=Path(self.landing_dir),
            timezone=self.timezone,
            currency=self.currency,
            as_of_date=date.fromisoformat(self.as_of_date) if self.as_of_date else None,
        )
