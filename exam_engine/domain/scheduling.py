"""Spaced review: outcomes to FSRS ratings, card scheduling, time on item, streaks.

Ratings: a wrong answer is Again; a right answer that was flagged, or slow, is Hard; any other
right answer is Good. "Slow" is measured from the saves of an attempt (``answer_seconds``): the
time from the previous save of any position (or the start) to a position's first answer, which
is the time spent on that item when the candidate works in order. A candidate who skips about,
or takes a break, makes the figure an overestimate, so it only ever turns Good into Hard.

Scheduling is the fsrs library (a pure function of card, rating and time, with no I/O) with
two choices of ours, both made so that a review queue of exam items behaves well:

* no learning or relearning steps, so every interval is a whole number of days: a missed item
  comes back tomorrow, never ten minutes after its rationale was read, and "due today" means
  what it says;
* no interval fuzzing, which draws from the process-wide ``random`` module: due dates are then
  reproducible, and a candidate's queue is too small to need load spreading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from fsrs import Card, Rating, Scheduler
from fsrs.card import CardDict

# A little over the 2-minute average of a full mock (90 items in 180 minutes).
SLOW_SECONDS = 180.0

SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def rating_for(
    correct: bool, flagged: bool, seconds: float | None, *, slow_after: float = SLOW_SECONDS
) -> Rating:
    """Map one answered item to an FSRS rating: wrong Again, flagged or slow Hard, else Good."""
    if not correct:
        return Rating.Again
    if flagged or (seconds is not None and seconds > slow_after):
        return Rating.Hard
    return Rating.Good


def enters_queue(rating: Rating) -> bool:
    """Tell whether an item not yet in the review queue is added for this rating."""
    return rating in (Rating.Again, Rating.Hard)


@dataclass(frozen=True)
class Scheduled:
    """A card after one review: its stored state, next due date and the review's time."""

    state: dict[str, Any]
    due: datetime
    reviewed_at: datetime


def as_utc(moment: datetime) -> datetime:
    """Return an aware datetime in the exact ``UTC`` zone the fsrs library insists on."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where an aware UTC datetime is required")
    return moment.astimezone(UTC)


def review(
    state: Mapping[str, Any] | None,
    rating: Rating,
    at: datetime,
    *,
    card_id: int,
    scheduler: Scheduler = SCHEDULER,
) -> Scheduled:
    """Review a card (a new one when ``state`` is None) with ``rating`` at ``at``.

    A review dated before the card's last one (an expired mock is finalized later but dated at
    its deadline) is moved to the last review's time: FSRS needs reviews in time order.
    """
    moment = as_utc(at)
    if state:
        card = Card.from_dict(cast(CardDict, dict(state)))
        if card.last_review is not None:
            card.last_review = as_utc(card.last_review)
            moment = max(moment, card.last_review)
        card.due = as_utc(card.due)
    else:
        # card_id and due are given so the library neither reads the clock nor sleeps.
        card = Card(card_id=card_id, due=moment)
    reviewed, _log = scheduler.review_card(card, rating, moment)
    return Scheduled(state=dict(reviewed.to_dict()), due=reviewed.due, reviewed_at=moment)


def answer_seconds(
    started_at: datetime, saves: Iterable[tuple[int, datetime, bool]]
) -> dict[int, float]:
    """Seconds each position took to its first answer: since the previous save, or the start.

    ``saves`` are (position, saved_at, has_choice); a save that only flags counts as activity
    (it resets the previous-save time) but is not an answer.
    """
    previous = started_at
    seconds: dict[int, float] = {}
    for position, saved_at, answered in sorted(saves, key=lambda save: save[1]):
        if answered and position not in seconds:
            seconds[position] = max(0.0, (saved_at - previous).total_seconds())
        previous = max(previous, saved_at)
    return seconds


def day_start(moment: datetime) -> datetime:
    """Midnight UTC at the start of ``moment``'s UTC day."""
    return datetime.combine(as_utc(moment).date(), time(), tzinfo=UTC)


def due_cutoff(now: datetime) -> datetime:
    """Cards due before this instant (the next UTC midnight) are due today."""
    return day_start(now) + timedelta(days=1)


def streak(days: Iterable[date], today: date) -> int:
    """Consecutive UTC days with a review, ending today, or yesterday while today has none yet.

    A streak is not broken until a whole day passes without a review, so the count a candidate
    sees in the morning is still yesterday's.
    """
    reviewed = set(days)
    day = today if today in reviewed else today - timedelta(days=1)
    count = 0
    while day in reviewed:
        count += 1
        day -= timedelta(days=1)
    return count
