"""Currency of items: which ones depend on dated facts, and which were checked too long ago.

An item that rests on a law's date, article or status, or on a standard's edition or clause,
must say when those facts were last checked (``as_of``). Dates move (the EU AI Act's high-risk
dates moved by a year and more in 2026), so an item checked more than a year ago is listed as
stale until someone checks it again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.lint.registry import Finding, finding

DEFAULT_STALE_DAYS = 365

# What makes an item time-sensitive: a legal instrument or one of its articles, a standard's
# clause or edition, a dated document, or a calendar date in the text.
_DATED = re.compile(
    r"\b(?:act|regulation|directive|gdpr|law|bill|ordinance|guidance|guideline|article|art\.|"
    r"annex|clause|recital|section|sr\s*11-7|dora)\b|"
    r"\b(?:19|20)\d{2}\b|"
    r":\s?\d{4}\b|"
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december)\b",
    re.IGNORECASE,
)


def dated_evidence(item: ItemRecord) -> str | None:
    """The first words that make an item depend on a dated fact, or None."""
    for text in (*item.references, item.stem, *item.options):
        match = _DATED.search(text)
        if match:
            return match.group(0)
    return None


@dataclass(frozen=True)
class Stale:
    """An item whose facts were last checked on ``as_of``, ``age_days`` ago, over the limit."""

    item: ItemRecord
    as_of: date
    age_days: int


def stale_items(items: Sequence[ItemRecord], today: date, max_age_days: int) -> list[Stale]:
    """Items whose ``as_of`` is more than ``max_age_days`` before ``today``, oldest first."""
    if max_age_days < 0:
        raise ValueError(f"max_age_days must be 0 or more, got {max_age_days}")
    found = [
        Stale(item, item.as_of, (today - item.as_of).days)
        for item in items
        if item.as_of is not None and (today - item.as_of).days > max_age_days
    ]
    return sorted(found, key=lambda s: (-s.age_days, s.item.key))


def stale_findings(items: Sequence[ItemRecord], today: date, max_age_days: int) -> list[Finding]:
    """A warning for each stale item (``lint`` adds these when it is told the date)."""
    return [
        finding(
            s.item,
            "stale",
            "warning",
            f"facts last checked {s.as_of.isoformat()}, "
            f"{s.age_days} days ago (limit {max_age_days}): check its dates, articles and "
            "editions again and update as_of",
            "as_of",
        )
        for s in stale_items(items, today, max_age_days)
    ]
