"""Generator benchmark: time `generate()` for each size into a temporary directory.

    uv run python bench/bench_generator.py --customers 100000 1000000 [--format parquet]

Each size runs in its own subprocess so its peak memory (ru_maxrss) is its own. Prints one
line per size: customers, rows written, seconds, rows per second, output size, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sample_data import generate


def run_one(customers: int, seed: int, file_format: str, dirty_rate: float) -> dict:
    """Generate once into a temporary directory and measure it."""
    with tempfile.TemporaryDirectory(prefix="bench_generator_") as tmp:
        started = time.perf_counter()
        summary = generate(
            Path(tmp),
            customers=customers,
            seed=seed,
            file_format=file_format,  # type: ignore[arg-type]
            dirty_rate=dirty_rate,
        )
        seconds = time.perf_counter() - started
        rows = sum(summary.rows.values())
        return {
            "customers": customers,
            "format": file_format,
            "rows": rows,
            "rows_by_source": summary.rows,
            "files": len(summary.files),
            "seconds": round(seconds, 1),
            "rows_per_second": round(rows / seconds),
            "output_mb": round(summary.bytes_written / 1e6, 1),
            # Linux reports ru_maxrss in KiB.
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", dest="file_format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--dirty-rate", type=float, default=0.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object per size")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.single:
        result = run_one(args.customers[0], args.seed, args.file_format, args.dirty_rate)
        print(json.dumps(result))
        return

    if not args.json:
        print(
            f"{'customers':>10} {'rows':>12} {'seconds':>8} {'rows/s':>10} "
            f"{'output MB':>10} {'peak RSS MB':>12}"
        )
    for customers in args.customers:
        command = [
            sys.executable,
            __file__,
            "--single",
            "--customers",
            str(customers),
            "--seed",
            str(args.seed),
            "--format",
            args.file_format,
            "--dirty-rate",
            str(args.dirty_rate),
        ]
        out = subprocess.run(command, check=True, capture_output=True, text=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if args.json:
            print(json.dumps(result))
        else:
            print(
                f"{result['customers']:>10,} {result['rows']:>12,} {result['seconds']:>8.1f} "
                f"{result['rows_per_second']:>10,} {result['output_mb']:>10,.1f} "
                f"{result['peak_rss_mb']:>12,.1f}"
            )


if __name__ == "__main__":
    main()
