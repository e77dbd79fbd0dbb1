"""Pins for item analysis that mutation testing found unasserted: exact messages and boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from exam_engine.domain.item_analysis.base import Thresholds, as_ints


def test_as_ints_names_the_array_and_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"^choice must be one-dimensional$"):
        as_ints([[0, 1]], "choice")
    with pytest.raises(ValueError, match=r"^keys must hold integers, got float64$"):
        as_ints([0.0, 1.0], "keys")


def test_as_ints_accepts_an_empty_array_of_any_type_and_gives_int64() -> None:
    empty = as_ints(np.array([], dtype=np.float64), "item")
    assert empty.dtype == np.int64
    assert empty.size == 0
    small = as_ints(np.array([1, 2], dtype=np.int8), "item")
    assert small.dtype == np.int64
    assert small.tolist() == [1, 2]


def test_thresholds_messages_name_the_bad_minimum() -> None:
    with pytest.raises(ValueError, match=r"^min_responses must be an integer, got True$"):
        Thresholds(min_responses=True)
    with pytest.raises(ValueError, match=r"^min_responses must be an integer, got 2\.5$"):
        Thresholds(min_responses=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^min_responses must be >= 1, got 0$"):
        Thresholds(min_responses=0)


def test_a_minimum_of_one_is_allowed() -> None:
    assert Thresholds(min_responses=1).min_responses == 1
