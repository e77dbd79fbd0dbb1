"""Wilson intervals and Beta helpers, checked against published and independent values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from exam_engine.domain.stats import (
    BetaDist,
    smoothed_rate,
    wilson_interval,
    z_value,
)

# Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson, no correction).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (29, 29, 0.8830, 1.0000),
]


@pytest.mark.parametrize(("successes", "n", "lo", "hi"), NEWCOMBE)
def test_wilson_matches_newcombe_table(successes: int, n: int, lo: float, hi: float) -> None:
    got = wilson_interval(successes, n)
    assert got == pytest.approx((lo, hi), abs=5e-5)


def _wilson_by_quadratic(successes: int, n: int, confidence: float) -> tuple[float, float]:
    """Solve (p_hat - x)^2 = z^2 x (1 - x) / n for x: the interval's defining equation."""
    z = float(scipy_stats.norm.ppf(1 - (1 - confidence) / 2))
    p_hat = successes / n
    a = 1 + z * z / n
    b = -(2 * p_hat + z * z / n)
    c = p_hat * p_hat
    root = math.sqrt(b * b - 4 * a * c)
    return ((-b - root) / (2 * a), (-b + root) / (2 * a))


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize(("successes", "n"), [(0, 1), (1, 1), (3, 7), (5, 5), (40, 90), (1, 2)])
def test_wilson_matches_quadratic_roots(successes: int, n: int, confidence: float) -> None:
    expected = _wilson_by_quadratic(successes, n, confidence)
    assert wilson_interval(successes, n, confidence) == pytest.approx(expected, abs=1e-9)


def test_wilson_n_zero_is_uninformative() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_single_item() -> None:
    lo, hi = wilson_interval(1, 1)
    assert hi == 1.0
    assert lo == pytest.approx(1 / (1 + 1.959963984540054**2), abs=1e-12)


@pytest.mark.parametrize(("successes", "n"), [(-1, 5), (6, 5), (0, -1)])
def test_wilson_rejects_impossible_counts(successes: int, n: int) -> None:
    with pytest.raises(ValueError, match=f"got {successes} of {n}"):
        wilson_interval(successes, n)


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5])
def test_wilson_rejects_bad_confidence(confidence: float) -> None:
    with pytest.raises(ValueError, match=rf"confidence must be in \(0, 1\), got {confidence}"):
        wilson_interval(1, 2, confidence)


def test_z_value_at_95_percent() -> None:
    assert z_value(0.95) == pytest.approx(float(scipy_stats.norm.ppf(0.975)), abs=1e-12)


counts = st.integers(min_value=0, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(counts, st.floats(min_value=0.5, max_value=0.999))
def test_wilson_contains_estimate_within_unit_interval(
    pair: tuple[int, int], confidence: float
) -> None:
    successes, n = pair
    lo, hi = wilson_interval(successes, n, confidence)
    assert 0.0 <= lo <= hi <= 1.0
    if n:
        assert lo <= successes / n <= hi


@given(counts.filter(lambda pair: pair[1] > 0), st.integers(min_value=2, max_value=20))
def test_wilson_narrower_with_more_items_at_same_rate(pair: tuple[int, int], factor: int) -> None:
    successes, n = pair
    lo, hi = wilson_interval(successes, n)
    lo_more, hi_more = wilson_interval(successes * factor, n * factor)
    assert hi_more - lo_more < hi - lo


@given(counts.filter(lambda pair: pair[1] > 0))
def test_wilson_wider_at_higher_confidence(pair: tuple[int, int]) -> None:
    successes, n = pair
    lo90, hi90 = wilson_interval(successes, n, 0.90)
    lo99, hi99 = wilson_interval(successes, n, 0.99)
    assert lo99 <= lo90
    assert hi90 <= hi99


def test_smoothed_rate_is_laplace() -> None:
    assert smoothed_rate(0, 0) == 0.5
    assert smoothed_rate(0, 3) == pytest.approx(1 / 5)
    assert smoothed_rate(3, 3) == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match="got 4 of 3"):
        smoothed_rate(4, 3)


def test_beta_mean_and_update() -> None:
    prior = BetaDist.with_mean(0.6, 4.0)
    assert (prior.alpha, prior.beta) == pytest.approx((2.4, 1.6))
    post = prior.updated(3, 2)
    assert (post.alpha, post.beta) == pytest.approx((5.4, 3.6))
    assert post.mean == pytest.approx(5.4 / 9.0)


@pytest.mark.parametrize(("alpha", "beta"), [(0.0, 1.0), (1.0, -1.0)])
def test_beta_rejects_improper_parameters(alpha: float, beta: float) -> None:
    with pytest.raises(ValueError, match=rf"must be > 0, got \({alpha}, {beta}\)"):
        BetaDist(alpha, beta)


def test_beta_rejects_bad_mean_and_strength() -> None:
    with pytest.raises(ValueError, match=r"mean must be in \(0, 1\), got 0.0"):
        BetaDist.with_mean(0.0, 4.0)
    with pytest.raises(ValueError, match="strength must be > 0, got 0.0"):
        BetaDist.with_mean(0.5, 0.0)
    with pytest.raises(ValueError, match="counts must be >= 0, got -1 and 0"):
        BetaDist(1.0, 1.0).updated(-1, 0)


def _beta_cdf_integer(x: float, a: int, b: int) -> float:
    """Beta CDF for integer parameters: I_x(a, b) = P(Binomial(a + b - 1, x) >= a)."""
    n = a + b - 1
    return sum(math.comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(a, n + 1))


@pytest.mark.parametrize(("a", "b"), [(1, 1), (2, 5), (7, 3), (12, 9)])
@pytest.mark.parametrize("x", [0.1, 0.5, 0.65, 0.9])
def test_beta_cdf_matches_binomial_identity(a: int, b: int, x: float) -> None:
    assert BetaDist(a, b).cdf(x) == pytest.approx(_beta_cdf_integer(x, a, b), abs=1e-12)


@given(
    st.floats(min_value=0.05, max_value=50),
    st.floats(min_value=0.05, max_value=50),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_beta_cdf_matches_scipy(a: float, b: float, x: float) -> None:
    assert BetaDist(a, b).cdf(x) == pytest.approx(float(scipy_stats.beta.cdf(x, a, b)), abs=1e-12)


def test_beta_cdf_outside_support() -> None:
    assert BetaDist(2, 3).cdf(-0.1) == 0.0
    assert BetaDist(2, 3).cdf(1.5) == 1.0


def _betabinom_at_least(k: int, n: int, a: float, b: float) -> float:
    """P(X >= k) from the closed-form pmf C(n, j) B(j + a, n - j + b) / B(a, b)."""

    def log_beta(x: float, y: float) -> float:
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)

    return sum(
        math.comb(n, j) * math.exp(log_beta(j + a, n - j + b) - log_beta(a, b))
        for j in range(k, n + 1)
    )


@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (30.5, 20.5), (3.2, 0.8), (60.0, 32.0)])
@pytest.mark.parametrize("k", [0, 1, 45, 59, 90])
def test_predictive_matches_closed_form(a: float, b: float, k: int) -> None:
    got = BetaDist(a, b).predictive_at_least(k, 90)
    assert got == pytest.approx(_betabinom_at_least(k, 90, a, b), abs=1e-10)


def test_predictive_edges() -> None:
    dist = BetaDist(2.0, 2.0)
    assert dist.predictive_at_least(0, 10) == 1.0
    assert dist.predictive_at_least(11, 10) == 0.0
    with pytest.raises(ValueError, match="n must be >= 0, got -1"):
        dist.predictive_at_least(1, -1)
