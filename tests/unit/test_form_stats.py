"""Test-level statistics worked by hand: KR-20, SEM, percents, the distribution and their JSON."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from exam_engine.domain.item_analysis.base import Thresholds
from exam_engine.domain.item_analysis.form_stats import (
    ScoreStats,
    score_stats,
    slot_matrices,
    slot_matrix,
)

# Four attempts at three items: totals 2, 1, 3, 0.
HAND = [[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 0]]


def test_score_stats_of_a_hand_worked_matrix() -> None:
    stats = score_stats(HAND, excluded=2)
    assert (stats.attempts, stats.items, stats.excluded) == (4, 3, 2)
    assert stats.mean == 1.5
    # sample SD: squared deviations 0.25 + 0.25 + 2.25 + 2.25 = 5 over 3
    assert stats.sd == pytest.approx(math.sqrt(5 / 3))
    # KR-20: p = .75, .5, .25; sum p(1-p) = .625; population variance 1.25; 3/2 * (1 - .5)
    assert stats.alpha == pytest.approx(0.75)
    assert stats.sem == pytest.approx(math.sqrt(5 / 3) * math.sqrt(0.25))
    assert stats.median_percent == pytest.approx(50.0)
    assert (stats.min_percent, stats.max_percent) == (0.0, 100.0)
    # bins of 10 points: 0% -> 0, 33% -> 3, 67% -> 6, 100% joins the top bin 9
    assert stats.distribution == (1, 0, 0, 1, 0, 0, 1, 0, 0, 1)
    assert stats.mean_percent == 50.0
    assert stats.sd_percent == pytest.approx(100 * math.sqrt(5 / 3) / 3)
    assert stats.sem_percent == pytest.approx(100 * stats.sem / 3)


def test_a_perfectly_consistent_form_has_alpha_one_and_zero_sem() -> None:
    stats = score_stats([[1, 1], [0, 0]])
    assert stats.alpha == 1.0
    assert stats.sem == 0.0


def test_alpha_is_undefined_for_one_item_or_no_spread() -> None:
    one_item = score_stats([[1], [0], [1]])
    assert math.isnan(one_item.alpha)
    assert math.isnan(one_item.sem)
    assert one_item.sd == pytest.approx(math.sqrt(1 / 3))
    flat = score_stats([[1, 0], [0, 1], [1, 0]])
    assert math.isnan(flat.alpha)
    assert flat.sd == 0.0


def test_one_attempt_has_no_sd_and_no_sem() -> None:
    stats = score_stats([[1, 0, 1, 1]])
    assert stats.mean == 3.0
    assert math.isnan(stats.sd)
    assert math.isnan(stats.sem)
    assert stats.distribution == (0, 0, 0, 0, 0, 0, 0, 1, 0, 0)


def test_a_bin_edge_counts_in_the_upper_bin() -> None:
    # 1 of 10 is exactly 10%: bin 1, not bin 0; 9 of 10 is bin 9.
    matrix = np.zeros((2, 10))
    matrix[0, :1] = 1
    matrix[1, :9] = 1
    assert score_stats(matrix).distribution == (0, 1, 0, 0, 0, 0, 0, 0, 0, 1)


def test_no_attempts_give_nan_statistics_and_an_empty_distribution() -> None:
    stats = score_stats(np.zeros((0, 5)), excluded=3)
    assert (stats.attempts, stats.items, stats.excluded) == (0, 5, 3)
    for value in (stats.mean, stats.sd, stats.alpha, stats.sem, stats.median_percent):
        assert math.isnan(value)
    assert stats.distribution == (0,) * 10
    assert math.isnan(score_stats(np.zeros((0, 0))).mean_percent)


def test_score_stats_rejects_a_matrix_that_is_not_two_dimensional() -> None:
    with pytest.raises(ValueError, match="two-dimensional"):
        score_stats([1, 0, 1])


def test_to_values_rounds_and_names_every_field() -> None:
    values = score_stats(HAND, excluded=2).to_values(Thresholds(min_responses=4), digits=3)
    assert values == {
        "items": 3,
        "excluded_attempts": 2,
        "mean": 1.5,
        "mean_percent": 50.0,
        "sd": round(math.sqrt(5 / 3), 3),
        "sd_percent": round(100 * math.sqrt(5 / 3) / 3, 3),
        "median_percent": 50.0,
        "min_percent": 0.0,
        "max_percent": 100.0,
        "alpha": 0.75,
        "sem": round(math.sqrt(5 / 3) / 2, 3),
        "sem_percent": round(100 * math.sqrt(5 / 3) / 6, 3),
        "suppressed": False,
        "min_responses": 4,
        "distribution": [1, 0, 0, 1, 0, 0, 1, 0, 0, 1],
    }


def test_to_values_withholds_reliability_below_the_minimum_and_maps_nan_to_none() -> None:
    values = score_stats(HAND).to_values(Thresholds(min_responses=5))
    assert values["suppressed"] is True
    assert (values["alpha"], values["sem"], values["sem_percent"]) == (None, None, None)
    assert values["mean"] == 1.5
    empty = ScoreStats(0, 0, 0, *(math.nan,) * 7, (0,) * 10).to_values(Thresholds())
    assert empty["mean"] is None
    assert empty["mean_percent"] is None
    assert empty["sd_percent"] is None


def test_slot_matrix_rejects_mismatched_or_negative_rows() -> None:
    with pytest.raises(ValueError, match="same length"):
        slot_matrix([0, 0], [1, 2], [True])
    with pytest.raises(ValueError, match=">= 0"):
        slot_matrix([-1, -1], [1, 2], [True, False])


def test_slot_matrix_of_nothing_is_empty() -> None:
    matrix, excluded = slot_matrix([], [], [])
    assert matrix.shape == (0, 0)
    assert excluded == 0


def test_sparse_row_numbers_give_the_same_matrix_as_dense_ones() -> None:
    # Row numbers far apart take the np.unique path; dense ones the lookup table.
    dense = slot_matrix([0, 0, 1, 1, 2], [1, 2, 2, 1, 1], [1, 0, 1, 1, 0])
    sparse = slot_matrix([0, 0, 500, 500, 900], [1, 2, 2, 1, 1], [1, 0, 1, 1, 0])
    assert dense[0].tolist() == sparse[0].tolist() == [[1, 0], [1, 1]]
    assert dense[1] == sparse[1] == 1


def test_a_form_with_a_position_outside_one_to_k_is_left_out() -> None:
    matrix, excluded = slot_matrix([1, 1, 2, 2, 3, 3], [1, 2, 1, 3, 2, 1], [1, 1, 0, 1, 0, 1])
    assert matrix.tolist() == [[1, 1], [1, 0]]
    assert excluded == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 0], [1, 2], [True]), "attempt, position and correct must have the same length"),
        (([-1, -1], [1, 2], [True, False]), "attempt rows must be >= 0"),
        (([[0]], [1], [True]), "attempt must be one-dimensional"),
        (([0], [1.0], [True]), "position must hold integers, got float64"),
    ],
)
def test_slot_matrix_messages_are_exact(args, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        slot_matrix(*args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ([0], [1], [True, False], [0], 1),
            "attempt, position and correct must have the same length",
        ),
        (([0, 1], [1, 1], [True, False], [0], 1), "attempt rows must be in 0..0"),
        (([0], [1], [True], [[0]], 1), "group must be one-dimensional"),
        (([0.0], [1], [True], [0], 1), "attempt must hold integers, got float64"),
        (([0], [[1]], [True], [0], 1), "position must be one-dimensional"),
    ],
)
def test_slot_matrices_messages_are_exact(args, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        slot_matrices(*args)


def test_score_stats_message_is_exact() -> None:
    with pytest.raises(ValueError, match=r"^matrix must be two-dimensional \(attempts x slots\)$"):
        score_stats([1, 0])


def test_marks_are_read_as_booleans() -> None:
    # A mark of 2 is "correct": the matrix holds 1.0, never the raw number.
    matrix, _ = slot_matrix([0, 0], [1, 2], [2, 0])
    assert matrix.tolist() == [[1.0, 0.0]]
    uniform = slot_matrices([0, 0, 1, 1], [1, 2, 1, 2], [2, 0, 0, 3], [0, 0], 1)
    assert uniform[0][0].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert uniform[0][0].dtype == np.float64


def test_one_item_forms_keep_every_attempt() -> None:
    matrix, excluded = slot_matrix([0, 1, 2], [1, 1, 1], [1, 0, 1])
    assert matrix.tolist() == [[1.0], [0.0], [1.0]]
    assert excluded == 0


def test_an_attempt_id_spanning_two_rows_is_not_mistaken_for_a_uniform_layout() -> None:
    # Attempt 1 has four entries, attempt 0 two: not k-sized rows of distinct attempts.
    got = slot_matrices([0, 0, 1, 1, 1, 1], [1, 2, 1, 2, 3, 4], [1, 0, 1, 1, 0, 0], [0, 0], 1)
    want = slot_matrix([0, 0, 1, 1, 1, 1], [1, 2, 1, 2, 3, 4], [1, 0, 1, 1, 0, 0])
    assert got[0][0].tolist() == want[0].tolist()
    assert got[0][1] == want[1] == 1


def test_a_single_attempt_is_one_row_and_groups_without_attempts_are_empty() -> None:
    got = slot_matrices([4, 4, 4], [1, 2, 3], [1, 1, 0], [-1, -1, -1, -1, 1], 3)
    assert got[1][0].tolist() == [[1.0, 1.0, 0.0]]
    assert got[0][0].shape == got[2][0].shape == (0, 0)
    assert [excluded for _, excluded in got] == [0, 0, 0]


def test_uniform_rows_out_of_position_order_are_rearranged() -> None:
    # Each attempt lists its positions 2, 1: the slots follow positions, not storage order.
    got = slot_matrices([0, 0, 1, 1], [2, 1, 2, 1], [1, 0, 0, 1], [0, 0], 1)
    assert got[0][0].tolist() == [[0.0, 1.0], [1.0, 0.0]]
