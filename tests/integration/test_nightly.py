"""Nightly operation from the command line: backfills through the nightly job, one business
date per run in date order, and the Dagster UI with the schedule (SPEC §8, §10)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from integration_helpers import RECALL, recall_environment

pytestmark = pytest.mark.integration

SCHEDULES_QUERY = """
{
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        schedules { name cronSchedule executionTimezone pipelineName }
        partitionSets { pipelineName }
      }
    }
  }
}
"""


def test_a_backfill_runs_each_business_date_in_order_through_the_nightly_job(
    landings: tuple[Path, Path], tmp_path: Path, dbt_manifest: Path
) -> None:
    home = tmp_path / "home"
    landing = ("--landing", str(landings[1]))
    result = subprocess.run(
        [str(RECALL), "backfill", "--start", "2026-10-30", "--end", "2026-10-31", *landing],
        env=recall_environment(home),
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Backfill of 2 business dates, 2026-10-30 to 2026-10-31, published." in result.stdout
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs(RunsFilter(job_name="recall_nightly"))
        assert [(r.tags["dagster/partition"], r.status) for r in reversed(runs)] == [
            ("2026-10-30", DagsterRunStatus.SUCCESS),
            ("2026-10-31", DagsterRunStatus.SUCCESS),
        ]
    with duckdb.connect(str(home / "published" / "recall.duckdb"), read_only=True) as con:
        assert con.execute("select distinct as_of_date from customer_lifecycle").fetchall() == [
            (date(2026, 10, 31),)
        ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_recall_ui_serves_the_nightly_schedule_and_stops_on_ctrl_c(
    tmp_path: Path, dbt_manifest: Path
) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [str(RECALL), "ui", "--port", str(port)],
        env=recall_environment(tmp_path / "home") | {"RECALL_TIMEZONE": "Europe/Berlin"},
        stderr=subprocess.PIPE,
        text=True,
        # Started as a shell starts `recall ui &`: with SIGINT ignored. Ctrl-C must still stop it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        first_line = process.stderr.readline()
        assert first_line.startswith(f"Dagster UI: http://127.0.0.1:{port}"), first_line
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=json.dumps({"query": SCHEDULES_QUERY}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            (repository,) = json.load(response)["data"]["repositoriesOrError"]["nodes"]
        assert sorted(repository["schedules"], key=lambda s: s["name"]) == [
            {
                "name": "recall_monthly_report_schedule",
                "cronSchedule": "0 6 1 * *",
                "executionTimezone": "Europe/Berlin",
                "pipelineName": "recall_monthly_report",
            },
            {
                "name": "recall_nightly_schedule",
                "cronSchedule": "0 2 * * *",
                "executionTimezone": "Europe/Berlin",
                "pipelineName": "recall_nightly",
            },
        ]
        assert {"pipelineName": "recall_nightly"} in repository["partitionSets"]
    finally:
        process.send_signal(signal.SIGINT)
        # Read what it still prints while it stops, so a full pipe cannot hold it up. Stopping
        # waits up to 20 s for each of the webserver and the daemon before killing it.
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0
    assert "Dagster UI stopped." in stderr
    time.sleep(1)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
