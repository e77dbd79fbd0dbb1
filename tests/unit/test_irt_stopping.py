"""The readiness check's stopping rule: SE target, item limit, and the classified stop."""

from __future__ import annotations

import pytest

from exam_engine.domain.irt import eap, stop_reason
from exam_engine.domain.irt.adaptive import MIN_CLASSIFIED, classified


def test_classified_means_the_95_percent_interval_excludes_the_cut() -> None:
    # theta 1.0, SE 0.2: the interval is 0.608 to 1.392.
    assert classified(1.0, 0.2, 0.60)
    assert not classified(1.0, 0.2, 0.62)
    assert classified(-1.0, 0.2, -0.60)
    assert not classified(-1.0, 0.2, -0.62)
    assert not classified(0.5, 0.5, 0.5)
    assert classified(0.5, 0.1, 0.0, z=4.9) and not classified(0.5, 0.1, 0.0, z=5.1)


def test_a_clear_case_stops_after_the_minimum_but_not_before() -> None:
    # SE 0.5 is far from the 0.30 target; the interval 1.02 to 2.98 excludes a cut of 0.7.
    for items in range(1, MIN_CLASSIFIED):
        assert stop_reason(0.5, items, theta=2.0, cut=0.7) is None
    assert stop_reason(0.5, MIN_CLASSIFIED, theta=2.0, cut=0.7) is not None
    assert stop_reason(0.5, MIN_CLASSIFIED, theta=-0.6, cut=0.7) is not None
    assert stop_reason(0.5, 3, theta=2.0, cut=0.7, min_classified=3) is not None


def test_a_close_case_goes_on_to_the_se_target_or_the_limit() -> None:
    assert stop_reason(0.5, 20, theta=1.0, cut=0.7) is None
    assert stop_reason(0.30, 20, theta=1.0, cut=0.7) is not None
    assert stop_reason(0.5, 40, theta=1.0, cut=0.7) is not None


def test_without_an_estimate_or_a_cut_only_the_se_and_the_limit_stop() -> None:
    assert stop_reason(0.5, 20, theta=3.0) is None
    assert stop_reason(0.5, 20, cut=0.7) is None
    assert stop_reason(0.5, 20) is None
    assert stop_reason(0.29, 20) is not None


@pytest.mark.parametrize(("right", "side"), [(True, 1.0), (False, -1.0)])
def test_ten_answers_all_one_way_classify_a_candidate(right: bool, side: float) -> None:
    estimate = eap([1.0] * 10, [0.0] * 10, [right] * 10)
    assert estimate.se > 0.30
    assert stop_reason(estimate.se, 10, theta=estimate.theta, cut=0.0) is not None
    assert side * (estimate.theta - 1.96 * side * estimate.se) > 0
    # Half right at the cut stays open.
    mixed = eap([1.0] * 10, [0.0] * 10, [True, False] * 5)
    assert stop_reason(mixed.se, 10, theta=mixed.theta, cut=0.0) is None
