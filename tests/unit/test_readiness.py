"""Readiness: Beta-binomial pass probability and the labelled scaled-score estimate."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from exam_engine.domain.readiness import (
    ESTIMATE_LABEL,
    Readiness,
    estimate_readiness,
    items_needed,
    pass_probability,
    scaled_estimate,
)


@pytest.mark.parametrize(
    ("target", "size", "needed"),
    [(0.65, 90, 59), (0.65, 100, 65), (0.5, 90, 45), (0.7, 10, 7), (0.65, 20, 13)],
)
def test_items_needed(target: float, size: int, needed: int) -> None:
    assert items_needed(target, size) == needed


def test_no_evidence_gives_uniform_prior_predictive() -> None:
    # Beta(1, 1) mixed over a binomial is uniform on 0..90, so P(X >= 59) = 32 / 91 exactly.
    assert pass_probability(0, 0) == pytest.approx(float(Fraction(32, 91)), abs=1e-12)


@pytest.mark.parametrize(("correct", "total"), [(0, 5), (40, 90), (58, 90), (59, 90), (150, 180)])
def test_matches_scipy_betabinom(correct: int, total: int) -> None:
    a, b = 1 + correct, 1 + total - correct
    expected = float(scipy_stats.betabinom.sf(58, 90, a, b))
    assert pass_probability(correct, total) == pytest.approx(expected, abs=1e-12)


def _at_least_closed_form(k: int, n: int, a: float, b: float) -> float:
    def log_beta(x: float, y: float) -> float:
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)

    return sum(
        math.comb(n, j) * math.exp(log_beta(j + a, n - j + b) - log_beta(a, b))
        for j in range(k, n + 1)
    )


def test_prior_and_form_size_are_used() -> None:
    got = pass_probability(30, 45, target=0.7, form_size=50, prior=(2.0, 3.0))
    assert got == pytest.approx(_at_least_closed_form(35, 50, 32.0, 18.0), abs=1e-10)


def test_extremes() -> None:
    assert pass_probability(900, 900) > 0.999
    assert pass_probability(0, 900) < 1e-6
    assert pass_probability(90, 90, target=0.01, form_size=1) == pytest.approx(91 / 92)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"correct": 3, "total": 2}, "got 3 of 2"),
        ({"correct": -1, "total": 2}, "got -1 of 2"),
        ({"correct": 1, "total": 2, "target": 0.0}, r"target must be in \(0, 1\), got 0.0"),
        ({"correct": 1, "total": 2, "form_size": 0}, "form_size must be >= 1, got 0"),
        ({"correct": 1, "total": 2, "prior": (0.0, 1.0)}, r"Beta parameters must be > 0"),
    ],
)
def test_pass_probability_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pass_probability(**kwargs)  # type: ignore[arg-type]


@given(
    st.integers(min_value=0, max_value=300).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.just(n))
    )
)
def test_pass_probability_is_a_probability_and_rises_with_correct(pair: tuple[int, int]) -> None:
    correct, total = pair
    p = pass_probability(correct, total)
    assert 0.0 <= p <= 1.0
    if correct < total:
        # Swap one wrong answer for a right one.
        assert pass_probability(correct + 1, total) >= p - 1e-12


@pytest.mark.parametrize(
    ("percent", "scaled"),
    [
        (0.0, 200),
        (32.5, 325),
        (65.0, 450),
        (82.5, 625),
        (100.0, 800),
        (-10.0, 200),
        (130.0, 800),
    ],
)
def test_scaled_estimate_anchor_points(percent: float, scaled: int) -> None:
    assert scaled_estimate(percent) == scaled


def test_scaled_estimate_other_target() -> None:
    assert scaled_estimate(50.0, target=0.5) == 450
    assert scaled_estimate(25.0, target=0.5) == 325
    assert scaled_estimate(75.0, target=0.5) == 625


def test_scaled_estimate_rejects_bad_target() -> None:
    with pytest.raises(ValueError, match=r"target must be in \(0, 1\), got 1.0"):
        scaled_estimate(50.0, target=1.0)


targets = st.floats(min_value=0.05, max_value=0.95)
percents = st.floats(min_value=-50.0, max_value=150.0, allow_nan=False)


@given(targets)
def test_scaled_estimate_is_450_at_target(target: float) -> None:
    assert scaled_estimate(100.0 * target, target=target) == 450


@given(percents, percents, targets)
def test_scaled_estimate_monotone_and_in_range(x: float, y: float, target: float) -> None:
    lo, hi = sorted((x, y))
    a, b = scaled_estimate(lo, target=target), scaled_estimate(hi, target=target)
    assert 200 <= a <= b <= 800


def test_estimate_readiness() -> None:
    readiness = estimate_readiness(120, 180)
    assert readiness is not None
    assert readiness.pass_probability == pytest.approx(pass_probability(120, 180))
    assert readiness.scaled_estimate == scaled_estimate(100 * 120 / 180)
    assert readiness.label == ESTIMATE_LABEL
    assert "estimate" in readiness.label.lower()
    assert "ISACA" in readiness.label


def test_estimate_readiness_without_items_is_none() -> None:
    assert estimate_readiness(0, 0) is None


def test_readiness_to_dict_is_json_ready() -> None:
    data = Readiness(0.4, 430).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {"pass_probability": 0.4, "scaled_estimate": 430, "label": ESTIMATE_LABEL}
