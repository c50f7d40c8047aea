"""Ingest: landing files -> raw DuckDB tables, with quarantine, parking and a load manifest.

The first step of every run (SPEC §3). ``ingest_landing(settings)`` loads each new file
under ``<landing>/<source>/`` once, sends rows that break a rule to
``ingest.quarantine``, parks rows whose contact is not known yet, checks again the
quarantined rows that waited for rates or a channel, and returns an :class:`IngestSummary`
for the run log and Dagster metadata. A file that cannot be read at all raises
:class:`LandingFileError` and nothing is loaded.
"""

from orchestration.ingest.files import LandingFileError
from orchestration.ingest.load import ingest_landing
from orchestration.ingest.summary import FileResult, IngestSummary, SourceTotals

__all__ = [
    "FileResult",
    "IngestSummary",
    "LandingFileError",
    "SourceTotals",
    "ingest_landing",
]
