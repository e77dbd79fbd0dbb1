"""IRT rules pinned where mutation testing needs them: exact messages, boundaries, tie-breaks."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from exam_engine.domain.irt import (
    AbilityEstimate,
    PoolItem,
    cut_score,
    eap,
    expected_score,
    next_domain,
    pass_probability,
    select_next,
    stop_reason,
)
from exam_engine.domain.irt.model import GRID, check_model, logistic, normal_log_weights


def test_an_unknown_model_is_named_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"^model must be one of rasch, 2pl, got '3pl'$"):
        check_model("3pl")
    check_model("rasch")
    check_model("2pl")


def test_logistic_is_exact_at_zero_and_symmetric() -> None:
    assert float(logistic(0.0)) == 0.5
    assert float(logistic(2.0)) == pytest.approx(1.0 / (1.0 + math.exp(-2.0)), abs=1e-15)
    assert float(logistic(-2.0)) == pytest.approx(1.0 - float(logistic(2.0)), abs=1e-15)


def test_normal_log_weights_default_to_the_standard_normal() -> None:
    grid = np.array([-1.0, 0.0, 1.0])
    weights = np.exp(normal_log_weights(grid))
    expected = np.exp(-0.5 * grid**2) / np.exp(-0.5 * grid**2).sum()
    assert weights == pytest.approx(expected, abs=1e-15)
    shifted = np.exp(normal_log_weights(grid, 1.0, 2.0))
    raw = np.exp(-0.5 * ((grid - 1.0) / 2.0) ** 2)
    assert shifted == pytest.approx(raw / raw.sum(), abs=1e-15)


def test_an_answer_the_model_calls_impossible_leaves_the_prior_not_nan() -> None:
    # P(correct) rounds to exactly 1 (or 0) at every node: clipping keeps the logs finite.
    wrong_on_a_sure_item = eap([100.0], [-100.0], [False])
    right_on_an_impossible_item = eap([100.0], [100.0], [True])
    for estimate in (wrong_on_a_sure_item, right_on_an_impossible_item):
        assert estimate.theta == pytest.approx(0.0, abs=1e-9)
        assert estimate.se == pytest.approx(1.0, abs=1e-3)


def test_eap_uses_the_prior_it_is_given() -> None:
    estimate = eap([], [], [], prior_mean=1.5, prior_sd=0.5)
    assert estimate.theta == pytest.approx(1.5, abs=1e-6)
    assert estimate.se == pytest.approx(0.5, abs=1e-3)
    assert estimate.to_dict() == {"theta": 1.5, "se": 0.5, "items": 0}
    assert estimate.posterior.shape == GRID.shape
    assert float(estimate.posterior.sum()) == pytest.approx(1.0, abs=1e-12)


def test_eap_messages_are_exact() -> None:
    with pytest.raises(ValueError, match=r"^a, b and correct must have the same length$"):
        eap([1.0], [0.0], [True, False])
    with pytest.raises(ValueError, match=r"^prior_sd must be positive, got -1\.0$"):
        eap([], [], [], prior_sd=-1.0)


def test_expected_score_and_cut_messages_are_exact() -> None:
    domains = {"D1": ([1.0], [0.0])}
    with pytest.raises(
        ValueError, match=r"^need at least one domain with items and a positive weight$"
    ):
        expected_score(0.0, domains, {"D1": 0})
    with pytest.raises(ValueError, match=r"^need at least one domain"):
        expected_score(0.0, {}, {})
    with pytest.raises(ValueError, match=r"^domain D1: no items$"):
        expected_score(0.0, {"D1": ([], [])}, {"D1": 1})
    for target in (0.0, 1.0):
        with pytest.raises(ValueError, match=rf"^target must be in \(0, 1\), got {target}$"):
            cut_score(domains, {"D1": 1}, target=target)
    with pytest.raises(
        ValueError, match=r"^no ability in \[-6\.0, 6\.0\] gives an expected score of 0\.999$"
    ):
        cut_score(domains, {"D1": 1}, target=0.999)
    with pytest.raises(ValueError, match=r"^no ability in \[-6\.0, 6\.0\] gives"):
        cut_score(domains, {"D1": 1}, target=0.001)


def test_the_cut_is_found_to_a_tight_tolerance() -> None:
    one = {"D1": ([1.3], [0.2])}
    cut = cut_score(one, {"D1": 1}, target=0.7)
    assert cut == pytest.approx(0.2 + math.log(0.7 / 0.3) / 1.3, abs=1e-7)


def test_a_domain_without_weight_is_never_chosen() -> None:
    assert next_domain({"D1": 0, "D2": 1}, {}, {"D1"}) is None
    assert next_domain({"D1": 0, "D2": 1}, {"D2": 5}, {"D1", "D2"}) == "D2"


def test_a_tied_deficit_goes_to_the_larger_weight_then_the_first_code() -> None:
    # After one B item: A's deficit 0 - 0.25 * 2 = -0.5, B's 1 - 0.75 * 2 = -0.5.
    assert next_domain({"A": 1, "B": 3}, {"B": 1}, {"A", "B"}) == "B"
    assert next_domain({"B": 1, "A": 1}, {}, {"A", "B"}) == "A"
    # A domain not yet counted has a count of 0.
    assert next_domain({"A": 1, "B": 1}, {"A": 1}, {"A", "B"}) == "B"


def pool(*specs: tuple[int, float, float]) -> list[PoolItem]:
    return [PoolItem(version_id=i, domain="D1", a=a, b=b) for i, a, b in specs]


def pick(items: list[PoolItem], seed: int = 0, **kwargs: object) -> PoolItem | None:
    return select_next(
        items,
        theta=0.0,
        administered=kwargs.pop("administered", set()),  # type: ignore[arg-type]
        counts={},
        weights={"D1": 1},
        rng=random.Random(seed),
        **kwargs,  # type: ignore[arg-type]
    )


def test_equally_informative_items_go_by_version_id() -> None:
    chosen = pick(pool((7, 1.0, 0.0), (3, 1.0, 0.0), (5, 1.0, 0.0)), top_k=1)
    assert chosen is not None
    assert chosen.version_id == 3


def test_an_item_exactly_at_the_exposure_limit_is_still_fresh() -> None:
    items = pool((1, 2.0, 0.0), (2, 1.0, 0.0))
    at_limit = pick(items, top_k=1, exposure={1: 0.25})
    over = pick(items, top_k=1, exposure={1: 0.2501})
    assert at_limit is not None
    assert at_limit.version_id == 1
    assert over is not None
    assert over.version_id == 2


def test_exactly_top_k_fresh_items_are_enough_to_hold_the_overused_back() -> None:
    items = pool((1, 2.0, 0.0), (2, 1.5, 0.0), (3, 1.0, 0.0))
    picks = {
        item.version_id
        for seed in range(30)
        if (item := pick(items, seed, top_k=2, exposure={1: 0.9})) is not None
    }
    assert picks == {2, 3}


def test_administered_items_are_not_offered_again() -> None:
    items = pool((1, 2.0, 0.0), (2, 1.0, 0.0))
    chosen = pick(items, top_k=1, administered={1})
    assert chosen is not None
    assert chosen.version_id == 2


def test_top_k_message_is_exact() -> None:
    with pytest.raises(ValueError, match=r"^top_k must be >= 1, got 0$"):
        pick(pool((1, 1.0, 0.0)), top_k=0)
    assert pick(pool((1, 1.0, 0.0)), top_k=1) is not None


def test_stopping_sits_on_both_limits() -> None:
    assert stop_reason(0.2, 1, se_target=0.2, max_items=10) is not None
    assert stop_reason(0.2001, 9, se_target=0.2, max_items=10) is None
    assert stop_reason(0.9, 10, se_target=0.2, max_items=10) is not None


def test_a_target_met_exactly_at_either_end_of_the_grid_is_that_end() -> None:
    one = {"D1": ([1.0], [0.0])}
    low_target = expected_score(-6.0, one, {"D1": 1})
    high_target = expected_score(6.0, one, {"D1": 1})
    assert cut_score(one, {"D1": 1}, target=low_target) == -6.0
    assert cut_score(one, {"D1": 1}, target=high_target) == 6.0


def test_pass_probability_spreads_each_node_over_its_own_cell() -> None:
    estimate = AbilityEstimate(theta=1.0, se=0.7, items=0, posterior=np.array([0.25, 0.5, 0.25]))
    grid = np.array([0.0, 1.0, 2.0])
    # Cut 1.2: node 1 keeps the 0.3 of its cell [0.5, 1.5) above the cut, node 2 all of it.
    assert pass_probability(estimate, 1.2, grid) == pytest.approx(0.5 * 0.3 + 0.25, abs=1e-12)


def test_pass_probability_never_exceeds_one_when_the_posterior_sums_past_it() -> None:
    estimate = eap([1.0], [-1.0], [False])
    assert float(estimate.posterior.sum()) >= 1.0
    assert pass_probability(estimate, -100.0) == 1.0


def test_the_deficit_counts_the_next_item() -> None:
    # After two B items: A's deficit 0 - 0.25 * 3 = -0.75 beats B's 2 - 0.75 * 3 = -0.25.
    assert next_domain({"A": 1, "B": 3}, {"B": 2}, {"A", "B"}) == "A"


def test_too_few_fresh_items_bring_the_overused_back() -> None:
    items = pool((1, 2.0, 0.0), (2, 1.5, 0.0))
    picks = {
        item.version_id
        for seed in range(30)
        if (item := pick(items, seed, top_k=2, exposure={1: 0.9})) is not None
    }
    assert picks == {1, 2}
