"""When a signed-in session ends by itself: idle and absolute timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SessionTimeouts:
    """How long a session lives without a request (idle) and at most (absolute)."""

    idle: timedelta
    absolute: timedelta
    # last_seen is rewritten at most this often, so a busy page is not a write per request.
    touch_every: timedelta = timedelta(seconds=60)

    def __post_init__(self) -> None:
        if self.idle <= timedelta(0) or self.absolute <= timedelta(0):
            raise ValueError("session timeouts must be positive")


def expires_at(created_at: datetime, last_seen_at: datetime, timeouts: SessionTimeouts) -> datetime:
    """Return the moment the session ends unless it is used again before."""
    return min(last_seen_at + timeouts.idle, created_at + timeouts.absolute)


def is_expired(
    created_at: datetime, last_seen_at: datetime, now: datetime, timeouts: SessionTimeouts
) -> bool:
    """Tell whether the session has ended by itself at ``now``."""
    return now >= expires_at(created_at, last_seen_at, timeouts)


def needs_touch(last_seen_at: datetime, now: datetime, timeouts: SessionTimeouts) -> bool:
    """Tell whether a request at ``now`` should record itself as the session's last use."""
    return now - last_seen_at >= timeouts.touch_every
