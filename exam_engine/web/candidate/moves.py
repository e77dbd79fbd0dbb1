"""Where Previous, Next and Next flagged lead from a question, in a full or a flagged-only pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Moves:
    """Targets from one position: a position, or None (Previous: none; Next: the summary)."""

    flagged: tuple[int, ...]
    only_flagged: bool
    previous: int | None
    next: int | None
    next_flagged: int | None


def pass_moves(items: Sequence[Any], position: int, *, only_flagged: bool) -> Moves:
    """Moves from ``position``; the flagged-only pass steps through flagged positions only."""
    flagged = tuple(i.position for i in items if i.flagged)
    # Next flagged cycles: after the last flagged position it goes back to the first.
    others = [p for p in flagged if p != position]
    next_flagged = next((p for p in others if p > position), others[0] if others else None)
    if only_flagged and flagged:
        previous = next((p for p in reversed(flagged) if p < position), None)
        following = next((p for p in flagged if p > position), None)
    else:
        previous = position - 1 if position > 1 else None
        following = position + 1 if position < len(items) else None
    return Moves(flagged, only_flagged and bool(flagged), previous, following, next_flagged)
