"""Engine benchmark: the same generated landing, one full run on DuckDB and one on a local
Spark (`local[2]`, Java 17), with seconds per step and peak memory per engine.

    python3 -m uv run python bench/bench_engines.py --customers 100000 1000000

Each run starts in a process of its own, so the peak memory of one engine never counts
against the other: ``peak_rss_mib`` is the run's own process (ingest, checks, publication),
``peak_tree_rss_mib`` the most its whole process tree held at once (with dbt, DuckDB's
build and, on Spark, the JVM), sampled from /proc twice a second. Prints one JSON line per
run; writes nothing to the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ENGINES = ("duckdb", "spark")


class TreeMemory:
    """The peak resident memory of this process and its descendants, summed, from /proc."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        root = os.getpid()
        while not self._stop.wait(0.5):
            parents, rss = {}, {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text()
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                rss[int(entry.name)] = next(
                    (
                        int(line.split()[1])
                        for line in status.splitlines()
                        if line.startswith("VmRSS:")
                    ),
                    0,
                )
            tree = {root}
            for pid in sorted(parents):
                chain, seen = pid, set()
                while chain in parents and chain not in seen and chain not in tree:
                    seen.add(chain)
                    chain = parents[chain]
                if chain in tree:
                    tree |= seen
            self.peak_kib = max(self.peak_kib, sum(rss.get(pid, 0) for pid in tree))


def run_once(engine: str, landing: Path, home: Path) -> dict:
    """One full run on ``engine``, in this process."""
    from bench_pipeline import _step_seconds
    from dagster import DagsterInstance

    from orchestration.runner import run_pipeline
    from orchestration.settings import Settings
    from orchestration.transform.project import prepare_manifest

    prepare_manifest()
    settings = Settings(home=home, landing_dir=landing, engine=engine)
    with DagsterInstance.ephemeral() as instance, TreeMemory() as memory:
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
        "peak_tree_rss_mib": round(memory.peak_kib / 1024),
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
        "--landing",
        type=Path,
        default=None,
        help="run on this landing directory (kept) instead of generating one per size",
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
        if args.landing:
            run_engines(args.engines, args.landing, work, label=args.landing.name)
            return
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
            run_engines(args.engines, landing, work, label=str(customers))
            shutil.rmtree(landing)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_engines(engines: list[str], landing: Path, work: Path, label: str) -> None:
    """One full run of ``landing`` per engine, each in a process and a home of its own."""
    for engine in engines:
        home = work / f"home_{label}_{engine}"
        subprocess.run(
            [sys.executable, __file__, "--one", engine, str(landing), str(home)], check=True
        )
        shutil.rmtree(home)


if __name__ == "__main__":
    main()
