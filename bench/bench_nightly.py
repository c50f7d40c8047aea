"""Nightly benchmark: a full first run on a history, then the nightly run that adds one day.

A daily landing (`recall generate --daily-files`) is delivered up to its second-to-last day
and built in full, as of that day; then its last day is delivered and the nightly job runs
for it, as the 02:00 schedule would. Targets (issue: nightly operation at scale): the full
run at 1M customers in at most 180 s, the nightly run at most 15% of it, peak memory at
most 4 GiB for both.

    python3 -m uv run recall generate --customers 1000000 --seed 1 --format parquet \
        --daily-files --out /scratch/daily
    python3 -m uv run python bench/bench_nightly.py --daily-landing /scratch/daily

Prints one JSON object: seconds per run and per Dagster step, dbt's execution time per kind
of node and its slowest nodes in each run (from dbt's run_results.json), and the most the
run's processes (with dbt) held at once. Writes under --work-dir (default: a temp dir) only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from bench_engines import TreeMemory
from bench_pipeline import _step_seconds
from dagster import DagsterInstance

from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from orchestration.transform.command import dbt_target
from sample_data.delivery import deliver_days, landing_days

SLOWEST_NODES = 12


def _dbt_nodes(settings: Settings, since: float) -> list[dict]:
    """The nodes of the home's last dbt build (run_results.json), when it ran after `since`."""
    results = dbt_target(settings) / "run_results.json"
    if not results.exists() or results.stat().st_mtime < since:
        return []
    return json.loads(results.read_text(encoding="utf-8"))["results"]


def _slowest_nodes(nodes: list[dict]) -> dict[str, float]:
    timed = sorted(nodes, key=lambda node: node["execution_time"], reverse=True)
    return {
        node["unique_id"].split(".", 2)[-1]: round(node["execution_time"], 1)
        for node in timed[:SLOWEST_NODES]
    }


def _seconds_by_kind(nodes: list[dict]) -> dict[str, dict[str, float]]:
    """Nodes and their summed execution time per kind (model, test, seed ...)."""
    kinds: dict[str, dict[str, float]] = {}
    for node in nodes:
        kind = kinds.setdefault(node["unique_id"].split(".", 1)[0], {"nodes": 0, "s": 0.0})
        kind["nodes"] += 1
        kind["s"] = round(kind["s"] + node["execution_time"], 1)
    return kinds


def _timed_run(settings: Settings, instance: DagsterInstance, business_date) -> dict:
    started_wall = time.time()
    started = time.perf_counter()
    with TreeMemory() as memory:
        outcome = run_pipeline(settings, instance=instance, business_date=business_date)
    seconds = time.perf_counter() - started
    if not outcome.success:
        raise SystemExit(outcome.format_failure())
    steps = _step_seconds(instance, outcome.run_id)
    nodes = _dbt_nodes(settings, started_wall)
    return {
        "s": round(seconds, 1),
        "steps_s": {key: round(value, 1) for key, value in steps.items()},
        "dbt_seconds_by_kind": _seconds_by_kind(nodes),
        "slowest_dbt_nodes_s": _slowest_nodes(nodes),
        "peak_tree_rss_mib": round(memory.peak_kib / 1024),
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
