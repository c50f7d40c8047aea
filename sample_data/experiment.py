"""The statistics of the planted experiment, written independently of the warehouse so that
tests and benchmarks can check the marts' lift against them (SPEC §6 "Effect").
"""

from __future__ import annotations

import math
from statistics import NormalDist

Z_95 = 1.959964  # the SPEC's z for a 95% interval (the marts' dbt macro holds the same)


def wald_interval(
    treated: tuple[int, int], control: tuple[int, int], z: float = Z_95
) -> tuple[float, float, float]:
    """lift, low, high of a difference of two proportions, from (returned, customers) of
    the treated and the control group."""
    (x_t, n_t), (x_c, n_c) = treated, control
    p_t, p_c = x_t / n_t, x_c / n_c
    lift = p_t - p_c
    half = z * math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    return lift, lift - half, lift + half


def bonferroni_z(comparisons: int, alpha: float = 0.05) -> float:
    """The two-sided z of a family of ``comparisons`` intervals with overall level alpha."""
    return NormalDist().inv_cdf(1 - alpha / (2 * comparisons))
