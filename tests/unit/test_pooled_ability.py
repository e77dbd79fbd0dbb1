"""Batched EAP by group: the same estimates as ``irt.eap`` one group at a time."""

from __future__ import annotations

import numpy as np
import pytest

from exam_engine.domain.irt import eap
from exam_engine.domain.pooled_ability import GroupedResponses, eap_by_group


@pytest.mark.parametrize("two_pl", [False, True])
def test_each_group_matches_eap_on_its_own_responses(two_pl: bool) -> None:
    rng = np.random.default_rng(11)
    n_items, groups = 50, 7
    a = rng.lognormal(0.0, 0.4, n_items) if two_pl else np.ones(n_items)
    b = rng.normal(0.0, 1.2, n_items)
    size = 400
    item = rng.integers(0, n_items, size)
    correct = rng.random(size) < 0.6
    # Group 3 gets no responses; group 5 only right answers (a skewed posterior).
    group = rng.choice([0, 1, 2, 4, 6], size)
    group[:9] = 5
    correct[:9] = True
    found = eap_by_group(a, b, GroupedResponses(item, correct, group), groups)
    assert found[3] is None
    for g in (0, 1, 2, 4, 5, 6):
        mask = group == g
        expected = eap(a[item[mask]], b[item[mask]], correct[mask])
        got = found[g]
        assert got is not None
        assert got.items == expected.items == int(mask.sum())
        assert got.theta == pytest.approx(expected.theta, abs=1e-10)
        assert got.se == pytest.approx(expected.se, abs=1e-10)
        assert np.allclose(got.posterior, expected.posterior, atol=1e-12)
    assert found[5].theta > found[0].theta


def test_a_response_may_count_in_two_groups() -> None:
    """Overall and per-domain groups share responses: listing one twice counts it in both."""
    a, b = np.ones(3), np.array([-1.0, 0.0, 1.0])
    responses = GroupedResponses(
        item=np.array([0, 1, 2, 0, 1]),
        correct=np.array([True, False, True, True, False]),
        group=np.array([0, 0, 0, 1, 1]),
    )
    overall, part = eap_by_group(a, b, responses, 2)
    assert overall is not None
    assert part is not None
    assert overall.theta == pytest.approx(eap(a, b, [True, False, True]).theta, abs=1e-12)
    assert part.theta == pytest.approx(eap(a[:2], b[:2], [True, False]).theta, abs=1e-12)


@pytest.mark.parametrize(
    ("a", "responses", "groups", "message"),
    [
        ([1.0, 1.0], GroupedResponses([0], [True], [0]), 1, "a and b must have the same length"),
        ([1.0], GroupedResponses([1], [True], [0]), 1, r"item indexes must be in 0\.\.0"),
        ([1.0], GroupedResponses([0], [True], [2]), 2, r"group indexes must be in 0\.\.1"),
    ],
)
def test_bad_input_names_what_is_wrong(a, responses, groups, message) -> None:
    with pytest.raises(ValueError, match=message):
        eap_by_group(a, [0.0], responses, groups)


def test_parallel_arrays_must_match() -> None:
    with pytest.raises(ValueError, match="item, correct, group and count must have the same"):
        GroupedResponses([0, 1], [True], [0, 0])
    with pytest.raises(ValueError, match="item, correct, group and count must have the same"):
        GroupedResponses([0], [True], [0], count=[1, 2])


def test_counts_weigh_repeated_responses() -> None:
    """A response given three times counts as three: as if listed three times."""
    a, b = np.ones(2), np.array([0.5, -0.5])
    weighted = eap_by_group(a, b, GroupedResponses([0, 1], [True, False], [0, 0], count=[3, 2]), 1)[
        0
    ]
    listed = eap(a[[0, 0, 0, 1, 1]], b[[0, 0, 0, 1, 1]], [True] * 3 + [False] * 2)
    assert weighted is not None
    assert weighted.items == 5
    assert weighted.theta == pytest.approx(listed.theta, abs=1e-12)
    assert weighted.se == pytest.approx(listed.se, abs=1e-12)
    with pytest.raises(ValueError, match="counts must be 1 or more"):
        eap_by_group(a, b, GroupedResponses([0], [True], [0], count=[0]), 1)


def test_with_parameter_errors_each_group_matches_eap_given_the_same_errors() -> None:
    rng = np.random.default_rng(5)
    n_items, groups = 30, 3
    a = rng.lognormal(0.0, 0.3, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    se_a = rng.uniform(0.05, 0.3, n_items)
    se_b = rng.uniform(0.05, 0.4, n_items)
    item = rng.integers(0, n_items, 120)
    correct = rng.random(120) < 0.55
    group = rng.integers(0, groups, 120)
    responses = GroupedResponses(item, correct, group)
    found = eap_by_group(a, b, responses, groups, se_a=se_a, se_b=se_b)
    plain = eap_by_group(a, b, responses, groups)
    for g in range(groups):
        mask = group == g
        expected = eap(
            a[item[mask]],
            b[item[mask]],
            correct[mask],
            se_a=se_a[item[mask]],
            se_b=se_b[item[mask]],
        )
        got = found[g]
        assert got is not None
        assert got.theta == pytest.approx(expected.theta, abs=1e-10)
        assert got.se == pytest.approx(expected.se, abs=1e-10)
        other = plain[g]
        assert other is not None
        # The calibration's own uncertainty widens the interval.
        assert got.se > other.se
