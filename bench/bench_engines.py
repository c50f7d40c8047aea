"""Engine benchmark: the same generated landing, one full run on DuckDB and one on a local
Spark (`local[2]`, Java 17), with seconds per step and peak memory per engine.

    python3 -m uv run python bench/bench_engines.py --customers 100000 1000000

Each run starts in a process of its own, so the peak memory of one engine never counts
against the other: ``peak_rss_mib`` is the run's own process (ingest, checks, publication,
and DuckDB's build), ``peak_child_rss_mib`` its largest subprocess (dbt, and on Spark the
JVM). Prints one JSON line per run; writes nothing to the repo.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENGINES = ("duckdb", "spark")


def run_once(engine: str, landing: Path, home: Path) -> dict:
    """One full run on ``engine``, in this process."""
    from bench_pipeline import _step_seconds
    from dagster import DagsterInstance

    from orchestration.runner import run_pipeline
    from orchestration.settings import Settings
    from orchestration.transform.project import prepare_manifest

    prepare_manifest()
    settings = Settings(home=home, landing_dir=landing, engine=engine)
    with DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        outcome = run_pipeline(settings, instance=instance)
        seconds = time.perf_counter() - started
        if not outcome.success:
            raise SystemExit(outcome.format_failure())
        steps = _step_seconds(instance, outcome.run_id)
    return {
        "engine": engine,
        "run_s": round(seconds, 1),
        "steps_s": {step: round(s, 1) for step, s in steps.items() if s >= 1},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_child_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="scratch space (default: a temp dir)"
    )
    parser.add_argument(
        "--one", nargs=3, metavar=("ENGINE", "LANDING", "HOME"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        engine, landing, home = args.one
        print(json.dumps(run_once(engine, Path(landing), Path(home))), flush=True)
        return

    from sample_data import generate

    work = Path(tempfile.mkdtemp(dir=args.work_dir))
    try:
        for customers in args.customers:
            landing = work / f"landing_{customers}"
            started = time.perf_counter()
            generate(landing, customers=customers, seed=args.seed)
            print(
                json.dumps(
                    {"customers": customers, "generate_s": round(time.perf_counter() - started, 1)}
                ),
                flush=True,
            )
            for engine in args.engines:
                home = work / f"home_{customers}_{engine}"
                subprocess.run(
                    [sys.executable, __file__, "--one", engine, str(landing), str(home)],
                    check=True,
                )
                shutil.rmtree(home)
            shutil.rmtree(landing)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
