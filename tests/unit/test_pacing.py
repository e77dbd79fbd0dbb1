"""Pacing: time used against allowed, seconds per answered item against the allowance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from exam_engine.domain.pacing import PaceStatus, measure_pacing

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_half_the_time_for_every_item() -> None:
    pacing = measure_pacing(
        START, START + timedelta(minutes=90), items=90, answered=90, allowed_minutes=180
    )
    assert pacing.used_seconds == 5400.0
    assert pacing.allowed_seconds == 10800.0
    assert pacing.used_fraction == 0.5
    assert pacing.allowance_per_item == 120.0
    assert pacing.seconds_per_answered == 60.0
    assert pacing.pace_ratio == 0.5
    assert not pacing.timed_out


def test_deadline_includes_time_multiplier() -> None:
    deadline = START + timedelta(minutes=150 * 1.5)
    pacing = measure_pacing(
        START, START + timedelta(minutes=200), items=90, answered=80, deadline=deadline
    )
    assert pacing.allowed_seconds == 225 * 60
    assert pacing.allowance_per_item == 150.0
    assert pacing.seconds_per_answered == 150.0
    assert pacing.pace_ratio == 1.0


def test_submission_in_grace_period_is_capped_and_timed_out() -> None:
    deadline = START + timedelta(minutes=180)
    pacing = measure_pacing(
        START, deadline + timedelta(seconds=20), items=90, answered=45, deadline=deadline
    )
    assert pacing.used_seconds == pacing.allowed_seconds
    assert pacing.timed_out
    assert pacing.seconds_per_answered == 240.0
    assert pacing.pace_ratio == 2.0


def test_clock_skew_never_gives_negative_time() -> None:
    pacing = measure_pacing(
        START, START - timedelta(seconds=5), items=10, answered=0, allowed_minutes=10
    )
    assert pacing.used_seconds == 0.0


def test_nothing_answered() -> None:
    pacing = measure_pacing(
        START, START + timedelta(minutes=3), items=90, answered=0, allowed_minutes=180
    )
    assert pacing.seconds_per_answered is None
    assert pacing.pace_ratio is None


def test_to_dict_is_json_ready() -> None:
    data = measure_pacing(
        START, START + timedelta(minutes=30), items=20, answered=10, allowed_minutes=60
    ).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["seconds_per_answered"] == 180.0
    assert data["allowance_per_item"] == 180.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"items": 90, "answered": 0}, "exactly one of deadline and allowed_minutes"),
        (
            {"items": 90, "answered": 0, "allowed_minutes": 180, "deadline": START},
            "exactly one of deadline and allowed_minutes",
        ),
        ({"items": 0, "answered": 0, "allowed_minutes": 180}, "got 0/0"),
        ({"items": 5, "answered": 6, "allowed_minutes": 180}, "got 6/5"),
        ({"items": 5, "answered": -1, "allowed_minutes": 180}, "got -1/5"),
        ({"items": 5, "answered": 1, "allowed_minutes": 0}, "must be positive, got 0.0 seconds"),
        ({"items": 5, "answered": 1, "deadline": START}, "must be positive, got 0.0 seconds"),
    ],
)
def test_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        measure_pacing(START, START, **kwargs)  # type: ignore[arg-type]


def _paced(used_seconds: float, answered: int = 90, *, allowed_minutes: float = 150) -> str:
    """The pace status of a 90-item attempt that used ``used_seconds``."""
    return measure_pacing(
        START,
        START + timedelta(seconds=used_seconds),
        items=90,
        answered=answered,
        allowed_minutes=allowed_minutes,
    ).status


def test_27_seconds_for_90_questions_is_rushing_not_comfortable() -> None:
    assert _paced(27) == PaceStatus.RUSHING


@pytest.mark.parametrize(
    ("seconds_per_item", "status"),
    [
        # The allowance is 100 s a question: rushing below 25 s, comfortable to 80 s,
        # tight to 100 s (both inclusive), too slow above.
        (24.9, PaceStatus.RUSHING),
        (25.0, PaceStatus.COMFORTABLE),
        (80.0, PaceStatus.COMFORTABLE),
        (80.1, PaceStatus.TIGHT),
        (100.0, PaceStatus.TIGHT),
    ],
)
def test_pace_status_boundaries(seconds_per_item: float, status: str) -> None:
    assert _paced(seconds_per_item * 45, answered=45) == status


def test_pace_status_too_slow_timed_out_and_nothing_answered() -> None:
    # 45 answered in the whole 150 minutes is 200 s each: the clock ran out first.
    assert _paced(150 * 60, answered=45) == PaceStatus.TIMED_OUT
    assert _paced(149 * 60, answered=45) == PaceStatus.TOO_SLOW
    assert _paced(600, answered=0) == PaceStatus.NOTHING_ANSWERED
    assert (
        _paced(27, answered=90)
        == measure_pacing(
            START, START + timedelta(seconds=27), items=90, answered=90, allowed_minutes=150
        ).to_dict()["status"]
    )
