"""Marks, rest scores and first exposures, worked by hand, with every input check and fallback."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exam_engine.domain.item_analysis.scoring import first_exposures, score_entries


def rests(scored) -> list[float | None]:
    return [None if math.isnan(v) else round(float(v), 6) for v in scored.rest]


def test_marks_totals_and_rest_scores_of_two_attempts() -> None:
    # Attempt 0 answers items 0, 1, 2 as A, B, unanswered; attempt 1 answers C, B, D.
    # Keys: item 0 A, item 1 B, item 2 D.
    scored = score_entries(
        attempt=[0, 0, 0, 1, 1, 1],
        item=[0, 1, 2, 0, 1, 2],
        choice=[0, 1, -1, 2, 1, 3],
        keys=[0, 1, 3],
        n_attempts=2,
    )
    assert scored.correct.tolist() == [True, True, False, False, True, True]
    assert scored.totals.tolist() == [2, 2]
    assert scored.form_size.tolist() == [3, 3]
    # Rest of form: right entries (T - 1) / 2 = 0.5; wrong entries T / 2 = 1.0.
    assert rests(scored) == [0.5, 0.5, 1.0, 1.0, 0.5, 0.5]
    # Ranks order the rest scores exactly: equal rest, equal rank; higher rest, higher rank.
    assert scored.rest_rank.tolist() == [0, 0, 1, 1, 0, 0]
    assert scored.levels.tolist() == [0.5, 1.0]


def test_an_attempt_of_one_item_has_no_rest_score() -> None:
    scored = score_entries([0, 1, 1], [0, 0, 1], [0, 0, 2], [0, 1], n_attempts=2)
    assert scored.rest_rank.tolist() == [-1, 0, 1]
    assert rests(scored) == [None, 0.0, 1.0]


def test_all_right_and_all_wrong_attempts_have_rest_one_and_zero() -> None:
    scored = score_entries([0, 0, 1, 1], [0, 1, 0, 1], [0, 0, 1, 1], [0, 0], n_attempts=2)
    assert rests(scored) == [1.0, 1.0, 0.0, 0.0]
    assert scored.levels.tolist() == [0.0, 1.0]


def test_an_attempt_without_entries_counts_zero() -> None:
    scored = score_entries([1, 1], [0, 1], [0, 1], [0, 1], n_attempts=3)
    assert scored.totals.tolist() == [0, 2, 0]
    assert scored.form_size.tolist() == [0, 2, 0]


def test_no_entries_give_empty_marks_and_nan_free_rest() -> None:
    scored = score_entries([], [], [], [0, 1], n_attempts=0)
    assert scored.correct.size == 0
    assert scored.rest.size == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0], [0, 1], [0], [0, 0], 1), "same length"),
        (([1], [0], [0], [0], 1), r"attempt rows must be in 0\.\.0"),
        (([-1], [0], [0], [0], 1), r"attempt rows must be in 0\.\.0"),
        (([0], [2], [0], [0, 1], 1), r"item columns must be in 0\.\.1"),
        (([0], [-1], [0], [0, 1], 1), r"item columns must be in 0\.\.1"),
        (([0], [0], [4], [0], 1), r"choices must be -1 \(unanswered\) or 0\.\.3"),
        (([0], [0], [-2], [0], 1), r"choices must be -1"),
        (([0], [0], [0], [4], 1), r"keys must be in 0\.\.3"),
        (([0], [0], [0], [-1], 1), r"keys must be in 0\.\.3"),
        (([], [], [], [5], 0), r"keys must be in 0\.\.3"),
    ],
)
def test_score_entries_names_the_bad_input(args, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_entries(*args)


def test_the_edges_of_each_range_are_accepted() -> None:
    scored = score_entries([0, 1], [0, 1], [-1, 3], [0, 3], n_attempts=2)
    assert scored.correct.tolist() == [False, True]


def test_first_exposures_in_attempt_order_and_shuffled() -> None:
    # Person 0 sees item 5 in orders 0 and 1; person 1 sees item 5 once; person 0 item 6 once.
    person = [0, 0, 1, 0]
    item = [5, 6, 5, 5]
    order = [0, 0, 1, 1]
    assert first_exposures(person, item, order).tolist() == [True, True, True, False]
    # The same entries stored out of order: the earliest still wins.
    assert first_exposures([0, 0, 1, 0], [5, 5, 5, 6], [1, 0, 1, 0]).tolist() == [
        False,
        True,
        True,
        True,
    ]


def test_first_exposures_fall_back_when_packed_keys_would_overflow() -> None:
    big = 2**40
    person = np.array([big, big, 1, big])
    item = np.array([2**22, 2**22, 3, 5])
    sorted_order = np.array([0, 1, 1, 2])
    assert first_exposures(person, item, sorted_order).tolist() == [True, False, True, True]
    shuffled = np.array([3, 1, 0, 2])
    assert first_exposures(person, item, shuffled).tolist() == [False, True, True, True]


def test_first_exposures_of_nothing_and_of_bad_input() -> None:
    assert first_exposures([], [], []).tolist() == []
    with pytest.raises(ValueError, match="same length"):
        first_exposures([0], [0, 1], [0])
    for bad in ([-1], [0]), ([0], [-1]):
        with pytest.raises(ValueError, match=">= 0"):
            first_exposures(bad[0], bad[1], [0])
    with pytest.raises(ValueError, match=">= 0"):
        first_exposures([0], [0], [-1])
