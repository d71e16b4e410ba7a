"""Is a sample uniform? The one-sample Kolmogorov-Smirnov test, in numpy, with a fixed false-alarm rate."""
from __future__ import annotations

import math

import numpy as np


def ks_distance(values: np.ndarray, low: float, high: float) -> float:
    """sup |F_n(x) - F(x)| between the sample's empirical CDF and the CDF of U(low, high)."""
    u = np.sort((np.asarray(values, dtype=np.float64).ravel() - low) / (high - low))
    n = u.size
    cdf = np.clip(u, 0.0, 1.0)
    above = np.arange(1, n + 1) / n - cdf
    below = cdf - np.arange(0, n) / n
    return float(max(above.max(), below.max()))


def ks_critical_distance(n: int, false_alarm: float) -> float:
    """The distance a truly uniform sample of size ``n`` exceeds with probability ``false_alarm``.

    Kolmogorov's limit law, P(sqrt(n) D > t) ~ 2 sum_k (-1)^(k-1) exp(-2 k^2 t^2), whose first term
    dominates at small rates (exact to far below 1e-9 there); for n in the thousands the finite-n
    correction of Stephens (sqrt(n) + 0.12 + 0.11 / sqrt(n)) makes it accurate to a few percent.
    """
    t = math.sqrt(-math.log(false_alarm / 2.0) / 2.0)
    root = math.sqrt(n)
    return t / (root + 0.12 + 0.11 / root)
