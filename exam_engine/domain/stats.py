"""Small statistics helpers for scorecards: Wilson intervals and Beta distributions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


def z_value(confidence: float) -> float:
    """Return the two-sided standard-normal quantile z for a confidence level (0.95 -> 1.96)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval (lo, hi) for a binomial proportion, as proportions.

    With p = successes / n and z = z_value(confidence):
        centre = (p + z^2 / (2n)) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))
        (lo, hi) = (centre - half, centre + half)
    n = 0 carries no information and gives (0.0, 1.0).
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    z = z_value(confidence)
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    # Exact endpoints at 0 and n: rounding would otherwise leave the point estimate just outside.
    lo = 0.0 if successes == 0 else max(0.0, min(p, centre - half))
    hi = 1.0 if successes == n else min(1.0, max(p, centre + half))
    return (lo, hi)


def smoothed_rate(successes: int, n: int) -> float:
    """Return Laplace's rule-of-succession rate (successes + 1) / (n + 2), never 0 or 1."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    return (successes + 1) / (n + 2)


@dataclass(frozen=True)
class BetaDist:
    """A Beta(alpha, beta) distribution over a success rate."""

    alpha: float
    beta: float

    def __post_init__(self) -> None:
        """Reject parameters that do not define a proper Beta distribution."""
        if not (self.alpha > 0.0 and self.beta > 0.0):
            raise ValueError(f"Beta parameters must be > 0, got ({self.alpha}, {self.beta})")

    @classmethod
    def with_mean(cls, mean: float, strength: float) -> BetaDist:
        """Return Beta(strength * mean, strength * (1 - mean)), a prior worth ``strength`` items."""
        if not 0.0 < mean < 1.0:
            raise ValueError(f"mean must be in (0, 1), got {mean!r}")
        if not strength > 0.0:
            raise ValueError(f"strength must be > 0, got {strength!r}")
        return cls(strength * mean, strength * (1.0 - mean))

    @property
    def mean(self) -> float:
        """Return alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)

    def updated(self, successes: int, failures: int) -> BetaDist:
        """Return the conjugate posterior Beta(alpha + successes, beta + failures)."""
        if successes < 0 or failures < 0:
            raise ValueError(f"counts must be >= 0, got {successes} and {failures}")
        return BetaDist(self.alpha + successes, self.beta + failures)

    def cdf(self, x: float) -> float:
        """Return P(rate <= x) under this distribution."""
        if x <= 0.0:
            return 0.0
        if x >= 1.0:
            return 1.0
        # Imported where used: scipy adds ~65 MB to every process (CLI, web).
        from scipy import stats as _scipy_stats  # type: ignore[import-untyped]

        return float(_scipy_stats.beta.cdf(x, self.alpha, self.beta))

    def predictive_at_least(self, k: int, n: int) -> float:
        """Return P(X >= k) for X ~ Beta-binomial(n, alpha, beta)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if k <= 0:
            return 1.0
        if k > n:
            return 0.0
        # sf(k - 1) = P(X > k - 1) = P(X >= k).
        from scipy import stats as _scipy_stats

        value = float(_scipy_stats.betabinom.sf(k - 1, n, self.alpha, self.beta))
        return min(1.0, max(0.0, value))
