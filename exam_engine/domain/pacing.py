"""Pacing: time used against time allowed, and seconds per item against the allowance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Under this share of the average allowance per answered question, the questions cannot have
# been read (a 90-item, 150-minute exam: under 25 s a question).
RUSHING_RATIO = 0.25
# Above this share, little time is left to review flags before the clock runs out.
TIGHT_RATIO = 0.8


class PaceStatus:
    """How the pace reads on the scorecard (``Pacing.status``)."""

    TIMED_OUT = "timed out"
    NOTHING_ANSWERED = "nothing answered"
    RUSHING = "rushing"
    COMFORTABLE = "comfortable"
    TIGHT = "tight"
    TOO_SLOW = "too slow"


@dataclass(frozen=True)
class Pacing:
    """How an attempt used its time; per-item figures are in seconds."""

    used_seconds: float
    allowed_seconds: float
    items: int
    answered: int
    timed_out: bool

    @property
    def used_fraction(self) -> float:
        """Return used_seconds / allowed_seconds (0-1)."""
        return self.used_seconds / self.allowed_seconds

    @property
    def allowance_per_item(self) -> float:
        """Return the exam's average allowance, allowed_seconds / items."""
        return self.allowed_seconds / self.items

    @property
    def seconds_per_answered(self) -> float | None:
        """Return used_seconds / answered, or None when nothing was answered."""
        return self.used_seconds / self.answered if self.answered else None

    @property
    def pace_ratio(self) -> float | None:
        """Return seconds_per_answered / allowance_per_item (> 1: slower than the allowance)."""
        per_answered = self.seconds_per_answered
        return None if per_answered is None else per_answered / self.allowance_per_item

    @property
    def status(self) -> str:
        """Return the pace's reading; rushing is checked before the comfortable range.

        timed out: the clock ran out; nothing answered; rushing: pace_ratio < 0.25;
        comfortable: <= 0.8; tight: <= 1.0; too slow: above the allowance.
        """
        ratio = self.pace_ratio
        if self.timed_out:
            return PaceStatus.TIMED_OUT
        if ratio is None:
            return PaceStatus.NOTHING_ANSWERED
        if ratio < RUSHING_RATIO:
            return PaceStatus.RUSHING
        if ratio <= TIGHT_RATIO:
            return PaceStatus.COMFORTABLE
        if ratio <= 1.0:
            return PaceStatus.TIGHT
        return PaceStatus.TOO_SLOW

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "status": self.status,
            "used_seconds": self.used_seconds,
            "allowed_seconds": self.allowed_seconds,
            "items": self.items,
            "answered": self.answered,
            "timed_out": self.timed_out,
            "used_fraction": self.used_fraction,
            "allowance_per_item": self.allowance_per_item,
            "seconds_per_answered": self.seconds_per_answered,
            "pace_ratio": self.pace_ratio,
        }


def measure_pacing(
    started: datetime,
    submitted: datetime,
    *,
    items: int,
    answered: int,
    deadline: datetime | None = None,
    allowed_minutes: float | None = None,
) -> Pacing:
    """Measure an attempt's pacing; give exactly one of ``deadline`` or ``allowed_minutes``.

    allowed = deadline - started (the server's deadline, time multiplier included) or
    allowed_minutes * 60; used = submitted - started, clamped to [0, allowed] because
    saves in the grace period after the deadline do not buy extra time.
    """
    if (deadline is None) == (allowed_minutes is None):
        raise ValueError("give exactly one of deadline and allowed_minutes")
    if items < 1 or not 0 <= answered <= items:
        raise ValueError(f"need items >= 1 and 0 <= answered <= items, got {answered}/{items}")
    if deadline is not None:
        allowed = (deadline - started).total_seconds()
    else:
        assert allowed_minutes is not None
        allowed = allowed_minutes * 60.0
    if not allowed > 0.0:
        raise ValueError(f"the time allowed must be positive, got {allowed} seconds")
    elapsed = (submitted - started).total_seconds()
    return Pacing(
        used_seconds=min(allowed, max(0.0, elapsed)),
        allowed_seconds=allowed,
        items=items,
        answered=answered,
        timed_out=elapsed >= allowed,
    )
