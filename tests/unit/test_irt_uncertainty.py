"""IRT under calibration error: the expected response function, its information and its use."""

from __future__ import annotations

import random

import numpy as np
import pytest

from exam_engine.domain.irt import PoolItem, eap, information, probability, select_next
from exam_engine.domain.irt.model import expected_information, expected_probability
from exam_engine.domain.irt.shrinkage import shrink_discrimination

CASES = [(0.7, 1.2, -0.3, 0.2, 0.25), (2.0, 1.5, 0.0, 0.4, 0.3), (-1.0, 0.8, 0.5, 0.1, 0.5)]


def test_without_errors_the_expected_curve_is_the_curve() -> None:
    theta = np.linspace(-3, 3, 13)
    assert expected_probability(theta, 1.3, 0.4) == pytest.approx(probability(theta, 1.3, 0.4))
    assert expected_information(theta, 1.3, 0.4) == pytest.approx(information(theta, 1.3, 0.4))


@pytest.mark.parametrize(("theta", "a", "b", "se_a", "se_b"), CASES)
def test_expected_curve_is_the_mean_over_the_parameters(
    theta: float, a: float, b: float, se_a: float, se_b: float
) -> None:
    draws = np.random.default_rng(0)
    mean = float(
        probability(theta, draws.normal(a, se_a, 400_000), draws.normal(b, se_b, 400_000)).mean()
    )
    # The probit approximation of a logistic-normal mean is good to about 0.01; Monte Carlo
    # error with 400,000 draws is under 0.001.
    assert float(expected_probability(theta, a, b, se_a, se_b)) == pytest.approx(mean, abs=0.015)


@pytest.mark.parametrize(("theta", "a", "b", "se_a", "se_b"), CASES)
def test_expected_information_is_slope_squared_over_variance(
    theta: float, a: float, b: float, se_a: float, se_b: float
) -> None:
    h = 1e-5
    slope = (
        expected_probability(theta + h, a, b, se_a, se_b)
        - expected_probability(theta - h, a, b, se_a, se_b)
    ) / (2 * h)
    p = expected_probability(theta, a, b, se_a, se_b)
    assert float(expected_information(theta, a, b, se_a, se_b)) == pytest.approx(
        float(slope**2 / (p * (1 - p))), rel=1e-6
    )
    # Uncertain parameters tell less than the same estimates taken at face value.
    assert expected_information(theta, a, b, se_a, se_b) < information(theta, a, b)


def test_eap_with_zero_errors_is_plain_eap_and_errors_widen_it() -> None:
    a, b, x = [1.4, 0.9, 1.8, 1.1], [0.2, -0.5, 0.6, 1.0], [True, True, False, True]
    plain = eap(a, b, x)
    zero = eap(a, b, x, se_a=0.0, se_b=[0.0] * 4)
    assert zero.theta == pytest.approx(plain.theta)
    assert zero.se == pytest.approx(plain.se)
    widened = eap(a, b, x, se_a=[0.4] * 4, se_b=[0.4] * 4)
    assert widened.se > plain.se
    with pytest.raises(ValueError, match="se_a must be non-negative"):
        eap(a, b, x, se_a=[-0.1] * 4)
    with pytest.raises(ValueError, match="se_b must be non-negative"):
        eap(a, b, x, se_b=[0.1, 0.1])


def test_uncertain_items_leave_a_wider_posterior_at_every_length() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.lognormal(0, 0.25, 40), rng.normal(0, 1, 40)
    x = rng.random(40) < probability(0.5, a, b)
    sure = [eap(a[:n], b[:n], x[:n]).se for n in range(1, 41)]
    unsure = [eap(a[:n], b[:n], x[:n], se_a=0.3, se_b=0.3).se for n in range(1, 41)]
    assert all(u >= s - 1e-12 for u, s in zip(unsure, sure, strict=True))


def test_selection_prefers_the_item_whose_discrimination_is_known() -> None:
    # Same estimates; one from few answers (large SEs). At face value they tie, so the
    # version id would decide; counting the SEs, the precise one is more informative.
    shaky = PoolItem(1, "D1", a=2.0, b=0.8, se_a=0.9, se_b=0.5)
    solid = PoolItem(2, "D1", a=2.0, b=0.8, se_a=0.05, se_b=0.05)
    chosen = select_next(
        [shaky, solid],
        theta=0.0,
        administered=set(),
        counts={},
        weights={"D1": 1.0},
        rng=random.Random(0),
        top_k=1,
    )
    assert chosen == solid
    assert shaky.information(0.0) < solid.information(0.0) < float(information(0.0, 2.0, 0.8))


def test_shrinkage_moves_each_estimate_toward_the_mean_and_keeps_precise_ones() -> None:
    a = np.array([0.6, 0.9, 1.0, 1.2, 2.4, 2.4])
    se = np.array([0.1, 0.2, 0.0, 0.2, 0.05, 1.0])
    shrunk, shrunk_se = shrink_discrimination(a, se)
    mean = np.exp(np.log(a).mean())
    assert shrunk[2] == pytest.approx(1.0)
    assert shrunk_se[2] == 0.0
    moved = np.abs(np.log(shrunk) - np.log(mean)) <= np.abs(np.log(a) - np.log(mean)) + 1e-12
    assert moved.all()
    # The same estimate, known less precisely, is pulled further.
    assert shrunk[5] < shrunk[4] <= 2.4
    assert (shrunk_se / shrunk <= se / a + 1e-12).all()


def test_shrinkage_undoes_capitalisation_on_chance() -> None:
    draws = np.random.default_rng(11)
    true_a = draws.lognormal(0.0, 0.25, 1000)
    se = 0.2 * true_a
    estimate = true_a * np.exp(draws.normal(0.0, 0.2, 1000))
    shrunk, _ = shrink_discrimination(estimate, se)
    assert np.mean((shrunk - true_a) ** 2) < np.mean((estimate - true_a) ** 2)
    # The 50 items a selector taking the largest a would favour.
    top_raw = np.argsort(-estimate)[:50]
    top_shrunk = np.argsort(-shrunk)[:50]
    raw_excess = np.mean(estimate[top_raw] / true_a[top_raw])
    shrunk_excess = np.mean(shrunk[top_shrunk] / true_a[top_shrunk])
    assert raw_excess > 1.2
    assert abs(shrunk_excess - 1.0) < raw_excess - 1.0


def test_shrinkage_leaves_what_it_cannot_judge_and_names_bad_input() -> None:
    one, one_se = shrink_discrimination([1.7], [0.3])
    assert one.tolist() == [1.7]
    assert one_se.tolist() == [0.3]
    rasch, _ = shrink_discrimination([1.0, 1.0], [0.0, 0.0])
    assert rasch.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="same length"):
        shrink_discrimination([1.0, 2.0], [0.1])
    with pytest.raises(ValueError, match="a must be positive"):
        shrink_discrimination([0.0, 2.0], [0.1, 0.1])
