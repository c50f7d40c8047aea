"""Delivering a daily landing day by day, for tests and benchmarks.

A landing written with `generate(..., daily_files=True)` holds one file per source per UTC
day, e.g. `transactions/transactions_2026-10-31.csv` (and the deliberate re-delivery
`transactions/transactions_2026-10-31_resend.csv`, dated like its original). To replay a
history as the nightly job would see it, deliver it up to a day, run, deliver the next day,
run again::

    generate(full, customers=500, seed=1, daily_files=True)
    days = landing_days(full)
    deliver_days(full, landing, through=days[-11])   # the history before the last 10 days
    for day in days[-10:]:
        deliver_days(full, landing, through=day)     # copies only that day's files
        ...run the pipeline for D = day...

Only the source folders of the landing contract are delivered (`truth.json` describes the
whole history, so it stays behind); an undated file there (e.g. a single `campaigns.csv`)
is delivered with the first call. A monthly file (`transactions_2026-10.csv`) has no day and
is refused.
"""

from __future__ import annotations

import filecmp
import re
import shutil
from datetime import date
from pathlib import Path

from orchestration.contract import SOURCES

_LANDING_SUFFIXES = (".csv", ".parquet")
# <source>_YYYY-MM-DD.<ext>, optionally with a tag such as _resend after the date.
_DAY = re.compile(r"_(\d{4}-\d{2}-\d{2})(?:_[A-Za-z0-9]+)?$")
_MONTH = re.compile(r"_\d{4}-\d{2}(?:_[A-Za-z0-9]+)?$")


def file_day(path: Path) -> date | None:
    """The day in a daily landing file's name (`transactions_2026-10-31.csv`, also with a
    tag such as `_resend` after the date); None for an undated file (`campaigns.csv`).
    Raises ValueError for a monthly file, which has no single day."""
    stem = Path(path).stem
    found = _DAY.search(stem)
    if found:
        return date.fromisoformat(found.group(1))
    if _MONTH.search(stem):
        raise ValueError(
            f"{path} is a monthly landing file; generate the landing with daily_files=True "
            "(recall generate --daily-files) to deliver it day by day"
        )
    return None


def _landing_files(landing: Path) -> list[Path]:
    """The CSV and Parquet files directly in the landing's source folders, sorted."""
    return sorted(
        path
        for source in SOURCES
        if (landing / source.name).is_dir()
        for path in (landing / source.name).iterdir()
        if path.is_file() and path.suffix in _LANDING_SUFFIXES and not path.name.startswith(".")
    )


def landing_days(daily_landing: Path) -> list[date]:
    """The days that have at least one file in a daily landing, ascending."""
    days = {file_day(path) for path in _landing_files(Path(daily_landing))}
    return sorted(day for day in days if day is not None)


def deliver_days(daily_landing: Path, target: Path, through: date) -> list[Path]:
    """Copy into the landing directory `target` every file of `daily_landing` dated on or
    before `through`, and its undated files, under the same relative paths; return the
    files copied by this call (in `target`, sorted).

    Repeated calls with a later `through` deliver only the new days: a file already in
    `target` with the same bytes is left alone (so ingest sees nothing new), one with other
    bytes raises FileExistsError. Raises ValueError for a monthly file in `daily_landing`.
    """
    source_root, target = Path(daily_landing), Path(target)
    files = _landing_files(source_root)
    if not files:
        raise ValueError(f"{source_root} holds no landing files")
    copied = []
    for path in files:
        day = file_day(path)
        if day is not None and day > through:
            continue
        destination = target / path.relative_to(source_root)
        if destination.exists():
            if not filecmp.cmp(path, destination, shallow=False):
                raise FileExistsError(f"{destination} exists with other content than {path}")
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        copied.append(destination)
    return copied
