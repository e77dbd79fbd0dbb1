"""Sign-in backoff arithmetic: doubling delays, caps, and whose failures slow whom."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exam_engine.domain.backoff import Backoff, Failures, SignInPolicy, seconds_left

POLICY = SignInPolicy(
    pair=Backoff(free=5, base_seconds=1, cap_seconds=900),
    email=Backoff(free=5, base_seconds=1, cap_seconds=60),
    address=Backoff(free=50, base_seconds=1, cap_seconds=900),
)
counts = st.integers(min_value=0, max_value=10_000)


def test_free_failures_cost_nothing_then_the_delay_doubles_to_the_cap() -> None:
    backoff = Backoff(free=2, base_seconds=3, cap_seconds=20)
    assert [backoff.delay(n) for n in range(7)] == [0, 0, 3, 6, 12, 20, 20]


@given(counts, counts)
def test_the_delay_never_shrinks_with_more_failures_and_never_passes_the_cap(a, b) -> None:
    backoff = POLICY.pair
    low, high = sorted((a, b))
    assert 0 <= backoff.delay(low) <= backoff.delay(high) <= backoff.cap_seconds


@pytest.mark.parametrize(
    ("free", "base", "cap"), [(-1, 1, 10), (0, 0, 10), (0, 5, 4)], ids=["free", "base", "cap"]
)
def test_a_nonsensical_backoff_is_refused(free, base, cap) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(free=free, base_seconds=base, cap_seconds=cap)


def test_seconds_left_runs_down_with_the_clock() -> None:
    assert seconds_left(None, 10, 100) == 0
    assert seconds_left(100, 0, 100) == 0
    assert seconds_left(100, 10, 104) == 6
    assert seconds_left(100, 10, 110) == 0
    assert seconds_left(100, 10, 500) == 0


@given(email=counts, now=st.floats(min_value=0, max_value=1e9))
def test_a_new_address_is_never_slowed_by_the_emails_failures(email, now) -> None:
    wait = POLICY.wait(Failures(), Failures(email, now), Failures(), now)
    assert wait == 0


@given(email=counts, pair=st.integers(min_value=1, max_value=4))
def test_after_few_own_failures_the_email_count_costs_at_most_its_cap(email, pair) -> None:
    wait = POLICY.wait(
        Failures(pair, 1000.0), Failures(email, 1000.0), Failures(pair, 1000.0), 1000
    )
    assert wait <= POLICY.email.cap_seconds


def test_an_address_guessing_at_many_accounts_is_slowed_for_every_email() -> None:
    assert POLICY.wait(Failures(), Failures(), Failures(50, 1000.0), 1000) == 1
    assert POLICY.wait(Failures(), Failures(), Failures(60, 1000.0), 1000) == 900
    assert POLICY.wait(Failures(), Failures(), Failures(49, 1000.0), 1000) == 0


def test_an_address_that_failed_for_an_email_waits_for_the_longer_of_its_own_and_the_emails():
    own = Failures(6, 1000.0)  # its own step: 2 s
    assert POLICY.wait(own, Failures(6, 1000.0), own, 1000) == 2
    assert POLICY.wait(own, Failures(9, 1000.0), own, 1000) == 16  # the email's step
    assert POLICY.wait(own, Failures(40, 1000.0), own, 1000) == 60  # capped
