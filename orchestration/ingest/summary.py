"""What one ingest run did, for the run log (``format``) and Dagster metadata
(``as_metadata``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from orchestration.contract import REASONS, SOURCES

# What a run did with a file (the manifest's status column).
LOADED = "loaded"
REDELIVERED = "redelivered"  # identical to a file loaded before: skipped
CHANGED_REJECTED = "changed_rejected"  # a loaded file name with other content: not merged
REPLACED = "replaced"  # a loaded file retired by recall replace (replace.py)


@dataclass(frozen=True)
class FileResult:
    """One landing file this run acted on.

    ``status`` is ``loaded``, ``redelivered`` (identical to a file loaded before: skipped),
    ``changed_rejected`` (a loaded file name with new content: not merged) or ``replaced``
    (a loaded file this run retired for its replacement: ``message`` says which).
    """

    file: str  # path relative to the landing directory, e.g. "transactions/2026-01.csv"
    source: str
    status: str
    rows_read: int = 0
    loaded: int = 0
    quarantined: int = 0
    parked: int = 0
    duplicates: int = 0
    message: str | None = None

    @property
    def reconciles(self) -> bool:
        """rows read = loaded + quarantined + parked + exact duplicates."""
        return self.rows_read == self.loaded + self.quarantined + self.parked + self.duplicates


@dataclass(frozen=True)
class SourceTotals:
    """Row counts of one source over the files loaded in this run.

    ``unparked`` counts rows parked by earlier runs that loaded in this one because
    their contact arrived; ``released``, rows quarantined by earlier runs for missing
    reference data (rates, channels) that passed in this one.
    """

    source: str
    files: int = 0
    rows_read: int = 0
    loaded: int = 0
    quarantined: int = 0
    parked: int = 0
    duplicates: int = 0
    unparked: int = 0
    released: int = 0


@dataclass(frozen=True)
class IngestSummary:
    """The outcome of one ingest run.

    ``parked_by_source`` and ``oldest_parked_days`` describe every row still waiting for
    its contact after this run (whichever run parked it), so an operator sees how long
    rows have been waiting.
    """

    loaded_at: datetime
    files: tuple[FileResult, ...] = ()
    sources: tuple[SourceTotals, ...] = ()
    quarantined_by_reason: Mapping[str, int] = field(default_factory=dict)
    parked_by_source: Mapping[str, int] = field(default_factory=dict)
    oldest_parked_days: float | None = None
    unchanged_files: int = 0  # loaded in an earlier run and still in the landing dir
    retired_files: tuple[str, ...] = ()  # replaced files still in the landing dir: skipped

    @property
    def loaded_files(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.status == LOADED)

    @property
    def skipped_redeliveries(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.status == REDELIVERED)

    @property
    def changed_files(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.status == CHANGED_REJECTED)

    @property
    def replaced_files(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.status == REPLACED)

    @property
    def parked_rows(self) -> int:
        return sum(self.parked_by_source.values())

    @property
    def warnings(self) -> tuple[str, ...]:
        """What an operator should act on: changed files (reported every run while they
        stay in the landing directory) and files of which no row loaded."""
        changed = [f"{f.file} {f.message}" for f in self.changed_files]
        held = [
            f"{f.file}: none of its {_n(f.rows_read, 'row')} loaded ({f.quarantined:,} "
            f"quarantined, {f.parked:,} parked, {f.duplicates:,} exact duplicates)"
            for f in self.loaded_files
            if f.rows_read and not f.loaded and (f.quarantined or f.parked)
        ]
        return (*changed, *held)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, for Dagster metadata (``from_dict`` reads them back)."""
        values = asdict(self)
        values["loaded_at"] = self.loaded_at.isoformat()
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> IngestSummary:
        return cls(
            loaded_at=datetime.fromisoformat(values["loaded_at"]),
            files=tuple(FileResult(**f) for f in values["files"]),
            sources=tuple(SourceTotals(**s) for s in values["sources"]),
            quarantined_by_reason=dict(values["quarantined_by_reason"]),
            parked_by_source=dict(values["parked_by_source"]),
            oldest_parked_days=values["oldest_parked_days"],
            unchanged_files=values["unchanged_files"],
            retired_files=tuple(values["retired_files"]),
        )

    def total(self, name: str) -> int:
        """Sum of a :class:`SourceTotals` count over all sources."""
        return sum(getattr(s, name) for s in self.sources)

    def format(self) -> str:
        """A short human summary for the run log."""
        lines = [
            f"Ingest at {self.loaded_at:%Y-%m-%d %H:%M:%S} UTC: "
            f"{_n(len(self.loaded_files), 'new file')} loaded, {self.unchanged_files} already "
            f"loaded, {_n(len(self.skipped_redeliveries), 're-delivery', 're-deliveries')} "
            f"skipped, {_n(len(self.changed_files), 'changed file')} rejected"
            + (
                f", {_n(len(self.replaced_files), 'file')} replaced."
                if self.replaced_files
                else "."
            )
        ]
        lines += [f"  Replaced: {f.file} {f.message}" for f in self.replaced_files]
        for s in self.sources:
            if s.files == 0 and s.unparked == 0 and s.released == 0:
                continue
            line = (
                f"  {s.source}: {_n(s.files, 'file')}, {_n(s.rows_read, 'row')} read -> "
                f"{s.loaded:,} loaded, {s.quarantined:,} quarantined, {s.parked:,} parked, "
                f"{s.duplicates:,} exact duplicates"
            )
            if s.unparked:
                line += f"; {s.unparked:,} previously parked rows loaded"
            if s.released:
                line += (
                    f"; {s.released:,} previously quarantined rows passed now that their "
                    "rates or channel are known"
                )
            lines.append(line)
        if self.quarantined_by_reason:
            reasons = ", ".join(f"{r} {n:,}" for r, n in self.quarantined_by_reason.items())
            lines.append(f"  Quarantined by reason: {reasons} (see ingest.quarantine)")
        if self.parked_rows:
            per_source = ", ".join(f"{s} {n:,}" for s, n in self.parked_by_source.items() if n)
            lines.append(
                f"  Parked, waiting for their contact: {_n(self.parked_rows, 'row')} "
                f"({per_source}); "
                f"oldest parked {self.oldest_parked_days} days ago"
            )
        for f in self.skipped_redeliveries:
            lines.append(f"  Skipped re-delivery: {f.file} is {f.message}")
        if self.retired_files:
            lines.append(
                f"  Skipped {_n(len(self.retired_files), 'replaced file')} still in the landing "
                f"directory (you can delete them): {', '.join(self.retired_files)}"
            )
        for f in self.loaded_files:
            if f.message:
                lines.append(f"  {f.file}: {f.message}")
        lines.extend(f"  WARNING: {w}" for w in self.warnings)
        return "\n".join(lines)

    def as_metadata(self) -> dict[str, int | float]:
        """Flat numbers for Dagster metadata: run totals, then per source under
        ``<source>.`` (e.g. ``transactions.rows_loaded``). Keys are stable from run to run
        (zeros included) so they plot over time; ``oldest_parked_days`` is 0 when nothing
        is parked."""
        meta: dict[str, int | float] = {
            "files_loaded": len(self.loaded_files),
            "files_unchanged": self.unchanged_files,
            "files_redelivered": len(self.skipped_redeliveries),
            "files_changed_rejected": len(self.changed_files),
            "files_replaced": len(self.replaced_files),
            "warnings": len(self.warnings),
        }
        for key, count in _COUNTS.items():
            meta[key] = self.total(count)
        for reason in REASONS:
            meta[f"quarantined_{reason}"] = self.quarantined_by_reason.get(reason, 0)
        meta["parked_rows_total"] = self.parked_rows
        meta["oldest_parked_days"] = self.oldest_parked_days or 0.0
        by_source = {s.source: s for s in self.sources}
        for source in SOURCES:
            totals = by_source.get(source.name, SourceTotals(source.name))
            meta[f"{source.name}.files_loaded"] = totals.files
            for key, count in _COUNTS.items():
                meta[f"{source.name}.{key}"] = getattr(totals, count)
            if source.has_contact_fk:
                meta[f"{source.name}.parked_total"] = self.parked_by_source.get(source.name, 0)
        return meta


# Metadata key -> SourceTotals field.
_COUNTS = {
    "rows_read": "rows_read",
    "rows_loaded": "loaded",
    "rows_quarantined": "quarantined",
    "rows_parked": "parked",
    "rows_duplicate": "duplicates",
    "rows_unparked": "unparked",
    "rows_released": "released",
}


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"
