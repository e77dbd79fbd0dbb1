"""Session timeouts: idle and absolute, whichever comes first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exam_engine.domain.session_expiry import SessionTimeouts, expires_at, is_expired, needs_touch

T = SessionTimeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
START = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def test_an_unused_session_ends_after_the_idle_timeout() -> None:
    assert expires_at(START, START, T) == START + timedelta(minutes=30)
    assert not is_expired(START, START, START + timedelta(minutes=29, seconds=59), T)
    assert is_expired(START, START, START + timedelta(minutes=30), T)


def test_a_used_session_ends_at_the_absolute_timeout() -> None:
    last = START + timedelta(hours=11, minutes=50)
    assert expires_at(START, last, T) == START + timedelta(hours=12)
    assert is_expired(START, last, START + timedelta(hours=12), T)


@given(st.integers(min_value=0, max_value=24 * 3600), st.integers(min_value=0, max_value=24 * 3600))
def test_the_end_is_never_past_either_limit(seen_after, now_after) -> None:
    last = START + timedelta(seconds=seen_after)
    end = expires_at(START, last, T)
    assert end <= START + T.absolute
    assert end <= last + T.idle
    now = START + timedelta(seconds=now_after)
    assert is_expired(START, last, now, T) == (now >= end)


def test_last_use_is_written_at_most_once_a_minute() -> None:
    assert not needs_touch(START, START + timedelta(seconds=59), T)
    assert needs_touch(START, START + timedelta(seconds=60), T)


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SessionTimeouts(idle=timedelta(0), absolute=timedelta(hours=1))
