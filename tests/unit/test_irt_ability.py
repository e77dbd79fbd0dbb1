"""IRT ability: EAP against direct integration, the cut score, pass probability, adaptive rules."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import integrate, stats  # type: ignore[import-untyped]

from exam_engine.domain.irt import (
    PoolItem,
    cut_score,
    eap,
    expected_score,
    information,
    next_domain,
    pass_probability,
    probability,
    select_next,
    stop_reason,
)


def test_no_responses_give_the_prior() -> None:
    estimate = eap([], [], [])
    assert estimate.theta == pytest.approx(0.0, abs=1e-9)
    assert estimate.se == pytest.approx(1.0, abs=1e-3)
    assert estimate.items == 0


def test_eap_matches_direct_integration() -> None:
    a, b, x = [1.0, 1.5, 0.8], [0.0, 0.5, -1.0], [True, False, True]

    def likelihood(theta: float) -> float:
        p = probability(theta, np.array(a), np.array(b))
        return float(np.prod(np.where(x, p, 1 - p)) * stats.norm.pdf(theta))

    mass = integrate.quad(likelihood, -10, 10)[0]
    mean = integrate.quad(lambda t: t * likelihood(t), -10, 10)[0] / mass
    second = integrate.quad(lambda t: t * t * likelihood(t), -10, 10)[0] / mass
    estimate = eap(a, b, x)
    assert estimate.theta == pytest.approx(mean, abs=1e-3)
    assert estimate.se == pytest.approx(math.sqrt(second - mean**2), abs=1e-3)
    assert estimate.interval() == pytest.approx(
        (estimate.theta - 1.96 * estimate.se, estimate.theta + 1.96 * estimate.se)
    )


def test_more_right_answers_raise_the_estimate_and_more_items_narrow_it() -> None:
    low = eap([1.0] * 10, [0.0] * 10, [True] * 3 + [False] * 7)
    high = eap([1.0] * 10, [0.0] * 10, [True] * 7 + [False] * 3)
    longer = eap([1.0] * 40, [0.0] * 40, [True] * 28 + [False] * 12)
    assert low.theta < 0 < high.theta
    assert longer.se < high.se
    assert high.to_dict() == {"theta": round(high.theta, 4), "se": round(high.se, 4), "items": 10}


def test_eap_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        eap([1.0], [0.0, 1.0], [True])
    with pytest.raises(ValueError, match="prior_sd must be positive"):
        eap([], [], [], prior_sd=0)


def test_cut_score_hand_worked() -> None:
    one = {"D1": ([1.0], [0.5])}
    assert cut_score(one, {"D1": 1}, target=0.5) == pytest.approx(0.5, abs=1e-6)
    # logit(0.65) = 0.6190...: the cut sits that far above b.
    assert cut_score(one, {"D1": 1}) == pytest.approx(0.5 + math.log(0.65 / 0.35), abs=1e-6)


def test_expected_score_weights_domains() -> None:
    domains = {"D1": ([1.0, 1.0], [0.0, 0.0]), "D2": ([1.0], [10.0])}
    # D1 items give 0.5 at theta 0; D2's one item almost 0: weights 3:1.
    assert expected_score(0.0, domains, {"D1": 3, "D2": 1}) == pytest.approx(0.375, abs=1e-4)
    cut = cut_score(domains, {"D1": 3, "D2": 1}, target=0.3)
    assert expected_score(cut, domains, {"D1": 3, "D2": 1}) == pytest.approx(0.3, abs=1e-6)
    with pytest.raises(ValueError, match="no ability"):
        cut_score(domains, {"D1": 1, "D2": 1}, target=0.9)
    with pytest.raises(ValueError, match="D2: no items"):
        expected_score(0.0, {"D1": ([1.0], [0.0]), "D2": ([], [])}, {"D1": 1, "D2": 1})
    with pytest.raises(ValueError, match="target must be in"):
        cut_score(domains, {"D1": 1, "D2": 1}, target=1.0)


def test_pass_probability_follows_the_posterior() -> None:
    estimate = eap([], [], [])
    assert pass_probability(estimate, 0.0) == pytest.approx(0.5, abs=1e-9)
    assert pass_probability(estimate, 1.0) == pytest.approx(1 - stats.norm.cdf(1.0), abs=0.01)
    assert pass_probability(estimate, -7.0) == 1.0
    assert pass_probability(estimate, 7.0) == 0.0


def test_eap_intervals_cover_true_ability_in_simulation() -> None:
    rng = np.random.default_rng(11)
    a, b = rng.lognormal(0, 0.2, 40), rng.normal(0, 1, 40)
    thetas = rng.normal(0, 1, 400)
    hits = 0
    for theta in thetas:
        x = rng.random(40) < probability(theta, a, b)
        low, high = eap(a, b, x).interval()
        hits += low <= theta <= high
    # 95% nominal; with 400 simulees, below 88% or above 99.5% would mean a broken SE.
    assert 0.88 < hits / 400 < 0.995


POOL = [
    PoolItem(version_id=i, domain=d, a=1.0 + (i % 3) * 0.4, b=(i % 7) - 3.0)
    for i, d in enumerate(["D1"] * 20 + ["D2"] * 20 + ["D3"] * 20)
]
WEIGHTS = {"D1": 28, "D2": 28, "D3": 34}


def test_next_domain_takes_the_largest_deficit() -> None:
    assert next_domain(WEIGHTS, {}, {"D1", "D2", "D3"}) == "D3"
    assert next_domain(WEIGHTS, {"D3": 1}, {"D1", "D2", "D3"}) == "D1"
    assert next_domain(WEIGHTS, {"D3": 1, "D1": 1}, {"D1", "D2", "D3"}) == "D2"
    assert next_domain(WEIGHTS, {}, {"D1"}) == "D1"
    assert next_domain(WEIGHTS, {}, set()) is None


def test_select_next_takes_the_most_informative_item() -> None:
    chosen = select_next(
        POOL,
        theta=0.0,
        administered=set(),
        counts={},
        weights=WEIGHTS,
        rng=random.Random(1),
        top_k=1,
    )
    assert chosen is not None
    assert chosen.domain == "D3"
    # In D3, a = 1.8 and b = 0 is the single best at theta 0: information 1.8^2 / 4.
    assert (chosen.a, chosen.b) == (1.8, 0.0)
    assert float(information(0.0, chosen.a, chosen.b)) == pytest.approx(0.81)


def test_exposure_control_holds_back_overused_items_and_randomises() -> None:
    kwargs = {"theta": 0.0, "administered": set(), "counts": {}, "weights": WEIGHTS}
    best = select_next(POOL, rng=random.Random(0), top_k=1, **kwargs)
    assert best is not None
    other = select_next(
        POOL, rng=random.Random(0), top_k=1, exposure={best.version_id: 0.9}, **kwargs
    )
    assert other is not None
    assert other.version_id != best.version_id
    picks = {
        item.version_id
        for seed in range(40)
        if (item := select_next(POOL, rng=random.Random(seed), **kwargs)) is not None
    }
    assert 2 <= len(picks) <= 5
    with pytest.raises(ValueError, match="top_k"):
        select_next(POOL, rng=random.Random(0), top_k=0, **kwargs)


def test_a_simulated_check_keeps_content_balance_and_stops() -> None:
    rng = random.Random(5)
    administered: list[PoolItem] = []
    counts: dict[str, int] = {}
    while True:
        item = select_next(
            POOL,
            theta=0.3,
            administered={p.version_id for p in administered},
            counts=counts,
            weights=WEIGHTS,
            rng=rng,
        )
        assert item is not None
        administered.append(item)
        counts[item.domain] = counts.get(item.domain, 0) + 1
        if stop_reason(1.0, len(administered)) is not None:
            break
    assert len(administered) == 40
    assert len({p.version_id for p in administered}) == 40
    for domain, weight in WEIGHTS.items():
        assert abs(counts[domain] - 40 * weight / 90) <= 1
    assert (
        select_next(POOL[:2], theta=0, administered={0, 1}, counts={}, weights=WEIGHTS, rng=rng)
        is None
    )


def test_stop_reason_stops_at_the_se_target_or_the_limit() -> None:
    assert stop_reason(0.30, 12) is not None
    assert stop_reason(0.5, 40) is not None
    assert stop_reason(0.31, 39) is None


@pytest.mark.parametrize(
    ("se", "items", "theta", "cut", "reason"),
    [
        (0.30, 12, None, None, "measured"),
        (0.30, 40, 0.0, 0.0, "measured"),  # the SE rule is named first when both hold
        (0.50, 40, None, None, "limit"),
        (0.40, 10, 1.60, 0.80, "above"),  # 0.80 > 1.96 x 0.40
        (0.40, 10, 0.00, 0.80, "below"),
        (0.40, 10, 1.50, 0.80, None),  # 0.70 < 0.784: the interval holds the cut
        (0.40, 9, 3.00, 0.80, None),  # too few items to classify
        (0.40, 20, 3.00, None, None),  # no cut: only the SE and the limit
    ],
)
def test_stop_reason_names_the_rule(se, items, theta, cut, reason) -> None:
    assert stop_reason(se, items, theta=theta, cut=cut) == reason
