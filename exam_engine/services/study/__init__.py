"""Study between mocks: weak-area drills, the spaced-review queue, streaks, mastery over time.

Two special templates, created on first use and hidden from the template list (they are
started from the Study pages, or by name through the API): ``drill-weak-areas`` (attempts of
kind "drill") and ``review-due`` (attempts of kind "review"). Both are practice mode: feedback
after each answer, untimed. Neither kind is a mock, so neither counts toward the items a
later mock avoids (``attempts.seen_counts``), nor toward anything computed over mocks.

The review queue is fed lazily. Nothing hooks attempt finalization; instead
``record_outcomes`` runs whenever the Study pages, the review API or the dashboard's Study
panel load, and turns everything not yet recorded into FSRS reviews, in one transaction:

* a finished mock or drill with no review log yet: each answered item is rated (wrong Again,
  right but flagged or slow Hard, right Good) at the attempt's finishing time; an Again or
  Hard item enters the queue, a Good one only reviews a card already there;
* an answered item of a review attempt (finished or not) whose card has no log for that
  attempt: rated the same way at the time of its first answer.

Processed work is recognised by its review logs (``review_logs.attempt_id``), so running it
twice changes nothing. A mock or drill that yields no rating at all (every answer right and
no card for them, or nothing answered) leaves no log and is read again on later loads, but
never written: the work is computed read-only first, and the user's row is locked (the
SQLite write lock, or a PostgreSQL row lock) only when there is something to write, then
everything is recomputed under the lock so that two requests at once record it once.
An answer only ever reviews a card that already existed when the answer was given.
"""

from exam_engine.services.study.observations import (
    MEASURED_KINDS,
    ItemRow,
    MasteryHistory,
    all_seen_counts,
    mastery_history,
)
from exam_engine.services.study.queue import record_outcomes
from exam_engine.services.study.starting import (
    new_weak_area_drill,
    open_review,
    start_review,
    start_weak_area_drill,
)
from exam_engine.services.study.summary import (
    SHORT_STREAK_WINDOW_DAYS,
    STREAK_WINDOW_DAYS,
    DueItem,
    StudySummary,
    due_items,
    review_days,
    study_streak,
    summary,
)
from exam_engine.services.study.templates import DRILL_TEMPLATE, REVIEW_TEMPLATE, ensure_template

__all__ = [
    "DRILL_TEMPLATE",
    "MEASURED_KINDS",
    "REVIEW_TEMPLATE",
    "SHORT_STREAK_WINDOW_DAYS",
    "STREAK_WINDOW_DAYS",
    "DueItem",
    "ItemRow",
    "MasteryHistory",
    "StudySummary",
    "all_seen_counts",
    "due_items",
    "ensure_template",
    "mastery_history",
    "new_weak_area_drill",
    "open_review",
    "record_outcomes",
    "review_days",
    "start_review",
    "start_weak_area_drill",
    "study_streak",
    "summary",
]
