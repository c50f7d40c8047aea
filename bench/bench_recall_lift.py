"""Recall lift benchmark: generate N customers, run the pipeline once, and set the lift that
recall_kpis_monthly measures per channel beside the uplift the generator planted.

    uv run python bench/bench_recall_lift.py --customers 1000000 --seed 1 [--home DIR]

Per channel, over the campaigns whose attribution windows are complete: the planted uplift,
the pooled lift (SPEC §6 "Effect": contacted customers who returned within the window of
their first eligible touch, against the holdout of the same month x campaign), its 95% Wald
interval and the Bonferroni-corrected one (family-wise 95% across channels, as the tests
use), the contacted and holdout counts, whether the planted value lies inside, and whether
the counts equal the ones `truth.json` planted. Then seconds per step and peak memory.

With --home the landing files, warehouse and published file stay there, and a later run
with the same --home, --customers and --seed reuses the landing files; without it a
temporary directory is used and removed.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb
from bench_pipeline import _step_seconds
from dagster import DagsterInstance

from orchestration.runner import run_pipeline
from orchestration.settings import Settings
from sample_data import TRUTH_FILE, generate
from sample_data.experiment import bonferroni_z, wald_interval

Counts = tuple[int, int, int, int]  # contacted, returned, holdout, holdout returned


def _landing(settings: Settings, customers: int, seed: int) -> tuple[dict, float]:
    """The planted truth, generating the landing files unless this home already has them."""
    truth_path = settings.landing_dir / TRUTH_FILE
    if truth_path.exists():
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if (truth["customers"], truth["seed"]) != (customers, seed):
            raise SystemExit(
                f"{settings.landing_dir} holds {truth['customers']:,} customers of seed "
                f"{truth['seed']}; use another --home"
            )
        return truth, 0.0
    started = time.perf_counter()
    generate(settings.landing_dir, customers=customers, seed=seed)
    seconds = time.perf_counter() - started
    return json.loads(truth_path.read_text(encoding="utf-8")), seconds


def measured_counts(published: Path, campaigns: set[str]) -> dict[str, Counts]:
    """Per channel, the counts of the (month, channel, all, campaign) rows of `campaigns`
    summed (a customer is in one campaign's rows once, so the sums count customers)."""
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "select campaign_id, channel, contacted_customers, treated_returned, "
            "control_customers, control_returned from recall_kpis_monthly "
            "where recall_tier = 'all' and channel <> 'all' and campaign_id <> 'all'"
        ).fetchall()
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for campaign, channel, *counts in rows:
        if campaign in campaigns:
            sums[channel] = [a + b for a, b in zip(sums[channel], counts, strict=True)]
    return {channel: tuple(s) for channel, s in sums.items()}


def planted_counts(truth: dict, campaigns: set[str]) -> dict[str, Counts]:
    """The same sums from what the generator planted."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for campaign in campaigns:
        by_channel = truth["planted_returns"][campaign]["by_channel"]
        holdout = by_channel.get("control", {"customers": 0, "returned": 0})
        for channel, c in by_channel.items():
            if channel != "control":
                counts = (c["customers"], c["returned"], holdout["customers"], holdout["returned"])
                sums[channel] = [a + b for a, b in zip(sums[channel], counts, strict=True)]
    return {channel: tuple(s) for channel, s in sums.items()}


def lift_table(truth: dict, measured: dict[str, Counts], planted: dict[str, Counts]) -> str:
    z_family = bonferroni_z(len(measured))
    header = (
        f"{'channel':<10} {'planted':>7} {'lift':>7} {'95% CI':>17} {'in':>3} "
        f"{f'Bonferroni (z={z_family:.3f})':>22} {'in':>3} {'contacted':>10} {'returned':>9} "
        f"{'holdout':>8} {'h.return':>8} {'= truth':>7}"
    )
    lines = [header, "-" * len(header)]
    for channel in sorted(measured):
        counts = measured[channel]
        uplift = truth["uplift_by_channel"][channel]
        treated, control = (counts[1], counts[0]), (counts[3], counts[2])
        lift, low, high = wald_interval(treated, control)
        _, family_low, family_high = wald_interval(treated, control, z_family)
        lines.append(
            f"{channel:<10} {uplift:>7.4f} {lift:>7.4f} [{low:>7.4f}, {high:>7.4f}] "
            f"{'yes' if low <= uplift <= high else 'NO':>3} "
            f"{f'[{family_low:.4f}, {family_high:.4f}]':>22} "
            f"{'yes' if family_low <= uplift <= family_high else 'NO':>3} "
            f"{counts[0]:>10,} {counts[1]:>9,} {counts[2]:>8,} {counts[3]:>8,} "
            f"{'yes' if counts == planted.get(channel) else 'NO':>7}"
        )
    return "\n".join(lines)


def bench(customers: int, seed: int, home: Path) -> None:
    settings = Settings(home=home, landing_dir=home / "landing")
    truth, generate_s = _landing(settings, customers, seed)
    print(f"generate: {generate_s:.1f} s ({customers:,} customers, seed {seed})", flush=True)
    with DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        outcome = run_pipeline(settings, instance=instance)
        pipeline_s = time.perf_counter() - started
        if not outcome.success:
            raise SystemExit(outcome.format_failure())
        steps = _step_seconds(instance, outcome.run_id)
    complete = {c for c, p in truth["planted_returns"].items() if p["window_complete"]}
    measured = measured_counts(settings.published_path, complete)
    print(
        f"\nLift per channel over the {len(complete)} campaigns with complete windows "
        f"(of {len(truth['planted_returns'])}); baseline return probability "
        f"{truth['baseline_return_probability']}:\n"
    )
    print(lift_table(truth, measured, planted_counts(truth, complete)))
    print(f"\npipeline: {pipeline_s:.1f} s")
    for step, seconds in steps.items():
        print(f"  {step:<32} {seconds:>8.1f} s")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak RSS: {peak_mib:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--home", type=Path, default=None, help="keep everything here (default: a temp dir)"
    )
    args = parser.parse_args()
    from orchestration.transform.project import prepare_manifest

    prepare_manifest()
    home = args.home.resolve() if args.home else Path(tempfile.mkdtemp(prefix="bench_lift_"))
    try:
        bench(args.customers, args.seed, home)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
