"""Pipeline benchmark: generate N customers, then time one full run (ingest, dbt build,
checks, publish) and a second run with nothing new, per step, with the share of each run
the Great Expectations suites take (target: at most 10%).

    python3 -m uv run python bench/bench_pipeline.py --customers 100000 1000000

Prints seconds per step, rows, file sizes and peak memory; writes nothing to the repo.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
from dagster import DagsterEventType, DagsterInstance

from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from sample_data import generate

# The Dagster steps that run the Great Expectations suites (orchestration/checks/suites.py).
SUITE_STEPS = ("raw_expectations", "warehouse_expectations")


def _step_seconds(instance: DagsterInstance, run_id: str) -> dict[str, float]:
    starts: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            starts[event.step_key] = record.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            seconds[event.step_key] = record.timestamp - starts[event.step_key]
    return seconds


def _size_mib(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def bench(customers: int, seed: int, work: Path) -> dict:
    home = work / f"home_{customers}"
    settings = Settings(home=home, landing_dir=home / "landing")
    started = time.perf_counter()
    generate(settings.landing_dir, customers=customers, seed=seed)
    generate_s = time.perf_counter() - started
    report: dict = {"customers": customers, "generate_s": round(generate_s, 1)}
    with DagsterInstance.ephemeral() as instance:
        for label in ("first_run", "second_run"):
            started = time.perf_counter()
            outcome = run_pipeline(settings, instance=instance)
            report[f"{label}_s"] = round(time.perf_counter() - started, 1)
            if not outcome.success:
                raise SystemExit(outcome.format_failure())
            steps = _step_seconds(instance, outcome.run_id)
            report[f"{label}_steps_s"] = {k: round(v, 1) for k, v in steps.items()}
            suites_s = sum(steps.get(step, 0.0) for step in SUITE_STEPS)
            report[f"{label}_expectations_share"] = round(suites_s / report[f"{label}_s"], 3)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        report["raw_transactions"] = con.execute(
            "select count(*) from raw.transactions"
        ).fetchone()[0]
    report["landing_mib"] = round(_size_mib(settings.landing_dir), 1)
    report["warehouse_mib"] = round(_size_mib(settings.warehouse_path), 1)
    report["published_mib"] = round(_size_mib(settings.published_path), 1)
    report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    shutil.rmtree(home)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="scratch space (default: a temp dir)"
    )
    args = parser.parse_args()
    from orchestration.transform.project import prepare_manifest

    prepare_manifest()
    work = Path(tempfile.mkdtemp(dir=args.work_dir))
    try:
        for customers in args.customers:
            print(json.dumps(bench(customers, args.seed, work)), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
