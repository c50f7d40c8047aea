"""The business date D of a run: a partitioned run describes its partition date (SPEC §4).

Every asset and check that hands D on (the dbt build, the expectation suites) takes its
settings through :func:`settings_for_run`, so a scheduled or backfilled run of day X builds,
checks and publishes the warehouse as of X, and an ad-hoc run keeps its own as-of date.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date

from orchestration.settings import Settings

# The run tag Dagster sets on a run of one partition.
PARTITION_TAG = "dagster/partition"


def settings_for_run(recall: Settings, run_tags: Mapping[str, str]) -> Settings:
    """The settings of this run: D is the partition date when the run has one."""
    key = run_tags.get(PARTITION_TAG)
    if key is None:
        return recall
    return dataclasses.replace(recall, as_of_date=date.fromisoformat(key))
