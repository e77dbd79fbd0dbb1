"""Sign-in throttling arithmetic: a delay that doubles with each failure, up to a cap."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """``free`` failures cost nothing; each one after waits twice as long, up to ``cap``."""

    free: int
    base_seconds: float
    cap_seconds: float

    def __post_init__(self) -> None:
        if self.free < 0 or self.base_seconds <= 0 or self.cap_seconds < self.base_seconds:
            raise ValueError("backoff needs free >= 0 and 0 < base_seconds <= cap_seconds")

    def delay(self, failures: int) -> float:
        """Seconds to wait after the last of ``failures`` failures before the next try."""
        over = failures - self.free
        if over < 0:
            return 0.0
        # Capped before the power, so a huge count cannot overflow the float.
        return min(self.cap_seconds, self.base_seconds * 2.0 ** min(over, 64))


def seconds_left(last_failure: float | None, delay: float, now: float) -> float:
    """Seconds still to wait at ``now`` (0 when the next try is allowed)."""
    if last_failure is None or delay <= 0:
        return 0.0
    return max(0.0, last_failure + delay - now)


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins counted under one key, and when the last one happened."""

    count: int = 0
    last: float | None = None


@dataclass(frozen=True)
class SignInPolicy:
    """How failures under three keys slow the next try of one email from one address.

    ``pair`` counts one email from one address, ``address`` one address for any email, and
    ``email`` one email from anywhere. The email's count only slows addresses that have
    themselves failed for it: someone guessing from elsewhere can cost the owner, on a new
    address, nothing, and after a typo of their own at most ``email.cap_seconds``.
    """

    pair: Backoff
    email: Backoff
    address: Backoff

    def wait(self, pair: Failures, email: Failures, address: Failures, now: float) -> float:
        """Seconds before this email may be tried again from this address (0: now)."""
        own = 0.0
        if pair.count:
            delay = max(self.pair.delay(pair.count), self.email.delay(email.count))
            own = seconds_left(pair.last, delay, now)
        return max(own, seconds_left(address.last, self.address.delay(address.count), now))
