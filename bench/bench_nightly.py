"""Nightly benchmark: a full first run on a history, then the nightly run that adds one day.

A daily landing (`recall generate --daily-files`) is delivered up to its second-to-last day
and built in full, as of that day; then its last day is delivered and the nightly job runs
for it, as the 02:00 schedule would. Targets (issue: nightly operation at scale): the full
run at 1M customers in at most 180 s, the nightly run at most 15% of it, peak memory at
most 4 GiB for both.

    python3 -m uv run recall generate --customers 1000000 --seed 1 --format parquet \
        --daily-files --out /scratch/daily
    python3 -m uv run python bench/bench_nightly.py --daily-landing /scratch/daily

Prints one JSON object: seconds per run and per Dagster step, the slowest dbt nodes of each
run (from dbt's run_results.json), and the peak resident memory of this process and of its
dbt subprocess. Writes under --work-dir (default: a temp dir) only.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bench_pipeline import _step_seconds
from dagster import DagsterInstance

from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from orchestration.transform.command import dbt_target
from sample_data.delivery import deliver_days, landing_days

SLOWEST_NODES = 12


def _peak_rss_mib() -> dict[str, int]:
    """Peak resident memory of this process (Dagster, ingest, the checks) and of the largest
    finished child (the dbt build)."""
    return {
        "recall": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "dbt": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def _dbt_node_seconds(settings: Settings, since: float) -> dict[str, float]:
    """The slowest nodes of the home's last dbt build, when it ran after `since`."""
    results = dbt_target(settings) / "run_results.json"
    if not results.exists() or results.stat().st_mtime < since:
        return {}
    nodes = json.loads(results.read_text(encoding="utf-8"))["results"]
    timed = sorted(nodes, key=lambda node: node["execution_time"], reverse=True)
    return {
        node["unique_id"].split(".", 2)[-1]: round(node["execution_time"], 1)
        for node in timed[:SLOWEST_NODES]
    }


def _timed_run(settings: Settings, instance: DagsterInstance, business_date) -> dict:
    started_wall = time.time()
    started = time.perf_counter()
    outcome = run_pipeline(settings, instance=instance, business_date=business_date)
    seconds = time.perf_counter() - started
    if not outcome.success:
        raise SystemExit(outcome.format_failure())
    steps = _step_seconds(instance, outcome.run_id)
    return {
        "s": round(seconds, 1),
        "steps_s": {key: round(value, 1) for key, value in steps.items()},
        "slowest_dbt_nodes_s": _dbt_node_seconds(settings, started_wall),
        "peak_rss_mib": _peak_rss_mib(),
    }


def bench(daily_landing: Path, work: Path) -> dict:
    days = landing_days(daily_landing)
    home = work / "home"
    settings = Settings(home=home, landing_dir=home / "landing")
    report: dict = {"daily_landing": str(daily_landing), "last_day": days[-1].isoformat()}
    deliver_days(daily_landing, settings.landing_dir, through=days[-2])
    with DagsterInstance.ephemeral() as instance:
        report["full_run"] = _timed_run(settings, instance, days[-2])
        delivered = deliver_days(daily_landing, settings.landing_dir, through=days[-1])
        report["nightly_files"] = len(delivered)
        report["nightly_run"] = _timed_run(settings, instance, days[-1])
    report["nightly_share"] = round(report["nightly_run"]["s"] / report["full_run"]["s"], 3)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--daily-landing", type=Path, required=True)
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="scratch space (default: a temp dir)"
    )
    args = parser.parse_args()
    from orchestration.transform.project import prepare_manifest

    prepare_manifest()
    work = Path(tempfile.mkdtemp(dir=args.work_dir))
    try:
        print(json.dumps(bench(args.daily_landing, work), indent=2), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
