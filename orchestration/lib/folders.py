"""Folders of Parquet files replaced whole: the raw tables Spark reads and the marts it
publishes. A reader opens either the old folder or the new one, never half of each."""

from __future__ import annotations

import shutil
from pathlib import Path


def replace_folder(new: Path, folder: Path) -> None:
    """Move ``new`` to ``folder`` (on the same filesystem), replacing what was there: the old
    folder is renamed aside, the new one renamed in, then the old one deleted. Leftovers of
    a replacement killed half-way are cleared first."""
    retired = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(retired, ignore_errors=True)
    if folder.exists():
        folder.rename(retired)
    new.rename(folder)
    shutil.rmtree(retired, ignore_errors=True)
