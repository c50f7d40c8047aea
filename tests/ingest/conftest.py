"""Fixtures for the ingest tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import Landing


@pytest.fixture
def landing(tmp_path: Path) -> Landing:
    """An empty landing directory and warehouse for one test."""
    return Landing(tmp_path)
