"""Time per question from the recorded saves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from exam_engine.domain.question_time import seconds_per_position

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_each_save_gets_the_time_since_the_previous_one() -> None:
    saves = [(1, at(40)), (2, at(100)), (1, at(130)), (3, at(200))]
    assert seconds_per_position(T0, at(600), saves) == {1: 70.0, 2: 60.0, 3: 70.0}


def test_order_of_input_does_not_matter_and_late_saves_are_left_out() -> None:
    saves = [(3, at(700)), (2, at(30)), (1, at(10))]
    assert seconds_per_position(T0, at(600), saves) == {1: 10.0, 2: 20.0}


def test_a_save_at_the_end_counts_and_nothing_saved_is_empty() -> None:
    assert seconds_per_position(T0, at(60), [(5, at(60))]) == {5: 60.0}
    assert seconds_per_position(T0, at(60), []) == {}


def test_a_save_stamped_before_the_start_counts_zero() -> None:
    assert seconds_per_position(T0, at(60), [(1, at(-5)), (2, at(20))]) == {1: 0.0, 2: 20.0}


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(ValueError, match="ends"):
        seconds_per_position(T0, at(-1), [])
