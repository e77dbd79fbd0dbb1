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

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fsrs import Rating
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.domain.blueprint import Blueprint, Subdomain
from exam_engine.domain.drills import (
    DrillError,
    FinishedAttempt,
    MasteryPoint,
    build_drill,
    mastery_over_time,
    posteriors,
)
from exam_engine.domain.scheduling import (
    answer_seconds,
    as_utc,
    day_start,
    due_cutoff,
    enters_queue,
    rating_for,
    review,
    streak,
)
from exam_engine.domain.weak_areas import Observation, Standing, assess
from exam_engine.models import (
    Attempt,
    AttemptItem,
    ExamTemplate,
    Question,
    QuestionVersion,
    Response,
    ReviewCard,
    ReviewLog,
    User,
)
from exam_engine.services import attempts
from exam_engine.services.catalog import blueprint_named, bundled_blueprint
from exam_engine.services.errors import Conflict, ValidationFailed
from exam_engine.services.pool import published_bank

DRILL_TEMPLATE = "drill-weak-areas"
REVIEW_TEMPLATE = "review-due"
# The attempts whose answers measure the candidate: reviews repeat items, so they do not.
MEASURED_KINDS = ("mock", "drill")
STREAK_WINDOW_DAYS = 400
SHORT_STREAK_WINDOW_DAYS = 14

_TEMPLATES: dict[str, dict[str, Any]] = {
    DRILL_TEMPLATE: {
        "title": "Drill my weak areas",
        "description": "A short practice set from your weakest sub-domains, with feedback.",
        "item_count": 15,
        "minutes": 30,
    },
    REVIEW_TEMPLATE: {
        "title": "Review due items",
        "description": "Items you missed or flagged, brought back when they are due.",
        "item_count": 20,
        "minutes": 40,
    },
}


def ensure_template(session: Session, name: str) -> ExamTemplate:
    """Return the drill or review template row, creating it if missing (flushed, no commit).

    Call it before the use case writes anything else: losing a race to create the row rolls
    the transaction back.
    """
    query = select(ExamTemplate).where(ExamTemplate.name == name)
    row = session.scalar(query)
    if row is not None:
        return row
    row = ExamTemplate(
        name=name,
        blueprint=bundled_blueprint().name,
        mode="practice",
        # Hidden from the template list: the Study panel starts these.
        is_active=False,
        **_TEMPLATES[name],
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # Another request created it first. (No savepoint: pysqlite commits on RELEASE.)
        session.rollback()
        row = session.scalar(query)
        if row is None:
            raise
    return row


# --- observations and posteriors -------------------------------------------------------------


@dataclass(frozen=True)
class _ItemRow:
    attempt_id: int
    kind: str
    started_at: datetime
    finished_at: datetime | None
    position: int
    question_id: int
    key: str
    domain: str
    subdomain: str
    choice: int | None
    correct: bool
    flagged: bool


def _item_rows(session: Session, *conditions: ColumnElement[bool]) -> list[_ItemRow]:
    """Attempt items with their version's grading facts, filtered by ``conditions``."""
    rows = session.execute(
        select(
            Attempt.id,
            Attempt.kind,
            Attempt.started_at,
            Attempt.submitted_at,
            AttemptItem.position,
            AttemptItem.question_id,
            Question.key,
            QuestionVersion.domain,
            QuestionVersion.subdomain,
            AttemptItem.choice,
            QuestionVersion.answer_index,
            AttemptItem.flagged,
        )
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .join(Question, Question.id == AttemptItem.question_id)
        .where(*conditions)
        .order_by(Attempt.id, AttemptItem.position)
    )
    return [
        _ItemRow(
            attempt_id=row.id,
            kind=row.kind,
            started_at=as_utc(row.started_at),
            finished_at=as_utc(row.submitted_at) if row.submitted_at is not None else None,
            position=row.position,
            question_id=row.question_id,
            key=row.key,
            domain=row.domain,
            subdomain=row.subdomain,
            choice=row.choice,
            correct=row.choice is not None and row.choice == row.answer_index,
            flagged=row.flagged,
        )
        for row in rows
    ]


def _measured_rows(session: Session, user_id: int) -> list[_ItemRow]:
    """Items of the user's finished mocks and drills."""
    return _item_rows(
        session,
        Attempt.user_id == user_id,
        Attempt.kind.in_(MEASURED_KINDS),
        Attempt.status.in_(attempts.FINISHED),
    )


def _observation(row: _ItemRow) -> Observation:
    # A blank counts as wrong, as on the scorecard.
    return Observation(row.key, row.domain, row.subdomain, row.correct, row.started_at)


def all_seen_counts(session: Session, user_id: int) -> dict[str, int]:
    """How many earlier attempts of any kind showed the user each question key."""
    rows = session.execute(
        select(Question.key)
        .join(AttemptItem, AttemptItem.question_id == Question.id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.user_id == user_id)
    )
    return dict(Counter(key for (key,) in rows))


# --- starting drills and reviews -------------------------------------------------------------


def _check_subdomains(blueprint: Blueprint, subdomains: Sequence[str]) -> list[str]:
    """Return the requested codes, or raise naming the unknown ones."""
    codes = list(dict.fromkeys(subdomains))
    unknown = [c for c in codes if c not in blueprint.subdomain_codes]
    if unknown:
        raise ValidationFailed(
            f"subdomains: unknown sub-domain(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(blueprint.subdomain_codes)}"
        )
    return codes


def start_weak_area_drill(
    session: Session,
    user: User,
    *,
    now: datetime,
    seed: int | None = None,
    subdomains: Sequence[str] = (),
) -> Attempt:
    """Start a practice drill from the user's weakest sub-domains (committed).

    :param subdomains: limit the drill to these sub-domain codes (empty: all of them).
    """
    requested = _check_subdomains(bundled_blueprint(), subdomains)
    template = ensure_template(session, DRILL_TEMPLATE)
    blueprint = blueprint_named(template.blueprint)
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    current = assess(
        (_observation(r) for r in _measured_rows(session, user.id)), blueprint
    )  # the target does not move the posteriors
    bank = published_bank(session)
    try:
        drill = build_drill(
            bank.index,
            posteriors(current, blueprint),
            item_count=template.item_count,
            seed=seed,
            seen=all_seen_counts(session, user.id),
            subdomains=requested,
        )
    except DrillError as error:
        session.rollback()
        raise Conflict(f"template {DRILL_TEMPLATE!r}: {error}") from error
    attempt = Attempt(
        user_id=user.id,
        template_id=template.id,
        seed=seed,
        mode="practice",
        kind="drill",
        status="in_progress",
        started_at=now,
        deadline_at=None,
    )
    return attempts.store_form(session, attempt, drill.items, bank.question_of)


def _published_versions() -> Any:
    """Subquery: the newest published version id of each question."""
    return (
        select(
            QuestionVersion.question_id.label("question_id"),
            func.max(QuestionVersion.id).label("version_id"),
        )
        .where(QuestionVersion.status == "published")
        .group_by(QuestionVersion.question_id)
        .subquery()
    )


def open_review(session: Session, user_id: int) -> Attempt | None:
    """The user's newest review attempt still in progress, if any."""
    return session.scalar(
        select(Attempt)
        .where(
            Attempt.user_id == user_id,
            Attempt.kind == "review",
            Attempt.status == "in_progress",
        )
        .order_by(Attempt.id.desc())
        .limit(1)
    )


def _first_unanswered(attempt: Attempt) -> int | None:
    return next((item.position for item in attempt.items if item.choice is None), None)


def start_review(
    session: Session,
    user: User,
    *,
    now: datetime,
    seed: int | None = None,
    grace_seconds: int = 30,
) -> tuple[Attempt, int]:
    """Resume the open review session, or start one over today's due items (committed).

    Returns the attempt and the position to show. A review session whose items are all
    answered is submitted first. Raises Conflict when nothing is due today.
    """
    record_outcomes(session, user.id, now=now)
    current = open_review(session, user.id)
    if current is not None:
        position = _first_unanswered(current)
        if position is not None:
            return current, position
        attempts.submit_attempt(session, user.id, current.id, now=now, grace_seconds=grace_seconds)
        record_outcomes(session, user.id, now=now)
    template = ensure_template(session, REVIEW_TEMPLATE)
    latest = _published_versions()
    rows = session.execute(
        select(ReviewCard.question_id, latest.c.version_id)
        .join(latest, latest.c.question_id == ReviewCard.question_id)
        .where(ReviewCard.user_id == user.id, ReviewCard.due_at < due_cutoff(now))
        .order_by(ReviewCard.due_at, ReviewCard.id)
        .limit(template.item_count)
    ).all()
    if not rows:
        session.rollback()
        raise Conflict("nothing is due for review today")
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    order = list(rows)
    rng.shuffle(order)
    attempt = Attempt(
        user_id=user.id,
        template_id=template.id,
        seed=seed,
        mode="practice",
        kind="review",
        status="in_progress",
        started_at=now,
        deadline_at=None,
    )
    items = []
    for position, (question_id, version_id) in enumerate(order, start=1):
        options = list(range(4))
        rng.shuffle(options)
        items.append(
            AttemptItem(
                position=position,
                question_id=question_id,
                question_version_id=version_id,
                option_order=options,
            )
        )
    attempt.items = items
    session.add(attempt)
    session.commit()
    return attempt, 1


# --- feeding the queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    """One rating to apply to a card (an existing one, or a new one if allowed)."""

    at: datetime
    attempt_id: int
    position: int
    question_id: int
    rating: Rating
    may_create: bool


def _answer_times(
    session: Session, rows: Sequence[_ItemRow]
) -> tuple[dict[tuple[int, int], float], dict[tuple[int, int], datetime]]:
    """Per (attempt, position): seconds to the first answer, and when that answer was saved."""
    started = {row.attempt_id: row.started_at for row in rows}
    saves: dict[int, list[tuple[int, datetime, bool]]] = defaultdict(list)
    if started:
        for attempt_id, position, saved_at, answered in session.execute(
            select(
                AttemptItem.attempt_id,
                AttemptItem.position,
                Response.saved_at,
                Response.choice.is_not(None),
            )
            .join(AttemptItem, AttemptItem.id == Response.attempt_item_id)
            .where(AttemptItem.attempt_id.in_(list(started)))
        ):
            saves[attempt_id].append((position, saved_at, bool(answered)))
    seconds: dict[tuple[int, int], float] = {}
    first: dict[tuple[int, int], datetime] = {}
    for attempt_id, started_at in started.items():
        for position, value in answer_seconds(started_at, saves[attempt_id]).items():
            seconds[(attempt_id, position)] = value
        for position, saved_at, answered in saves[attempt_id]:
            key = (attempt_id, position)
            if answered and (key not in first or saved_at < first[key]):
                first[key] = saved_at
    return seconds, first


def _pending_events(session: Session, user_id: int) -> list[_Event]:
    """Every rating not yet recorded for the user, oldest first (reads only)."""
    logged_attempt = exists().where(ReviewLog.attempt_id == Attempt.id)
    measured = _item_rows(
        session,
        Attempt.user_id == user_id,
        Attempt.kind.in_(MEASURED_KINDS),
        Attempt.status.in_(attempts.FINISHED),
        ~logged_attempt,
    )
    card_logged = (
        select(ReviewLog.id)
        .join(ReviewCard, ReviewCard.id == ReviewLog.card_id)
        .where(
            ReviewLog.attempt_id == Attempt.id,
            ReviewCard.user_id == user_id,
            ReviewCard.question_id == AttemptItem.question_id,
        )
        .exists()
    )
    reviewed = _item_rows(
        session,
        Attempt.user_id == user_id,
        Attempt.kind == "review",
        AttemptItem.choice.is_not(None),
        ~card_logged,
    )
    rows = [r for r in measured if r.choice is not None] + reviewed
    if not rows:
        return []
    seconds, first = _answer_times(session, rows)
    events: list[_Event] = []
    for row in rows:
        key = (row.attempt_id, row.position)
        rating = rating_for(row.correct, row.flagged, seconds.get(key))
        if row.kind == "review":
            at = first.get(key) or row.started_at
        else:
            # The rating is given when the mock or drill was finished.
            assert row.finished_at is not None
            at = row.finished_at
        may_create = row.kind != "review" and enters_queue(rating)
        events.append(
            _Event(as_utc(at), row.attempt_id, row.position, row.question_id, rating, may_create)
        )
    events.sort(key=lambda e: (e.at, e.attempt_id, e.position))
    return events


def _cards(session: Session, user_id: int, question_ids: Iterable[int]) -> dict[int, ReviewCard]:
    return {
        card.question_id: card
        for card in session.scalars(
            select(ReviewCard).where(
                ReviewCard.user_id == user_id, ReviewCard.question_id.in_(list(question_ids))
            )
        )
    }


def _relevant(events: Sequence[_Event], cards: dict[int, ReviewCard]) -> list[_Event]:
    """Events that will write: a card existed when the answer was given, or may be created."""
    created: dict[int, datetime] = {qid: as_utc(card.created_at) for qid, card in cards.items()}
    kept: list[_Event] = []
    for event in events:
        since = created.get(event.question_id)
        if since is not None and since <= event.at:
            kept.append(event)
        elif since is None and event.may_create:
            created[event.question_id] = event.at
            kept.append(event)
    return kept


def record_outcomes(session: Session, user_id: int, *, now: datetime) -> int:
    """Turn unrecorded answers into FSRS reviews (see the module doc); return how many."""
    events = _pending_events(session, user_id)
    if not _relevant(events, _cards(session, user_id, {e.question_id for e in events})):
        return 0
    attempts.lock_user(session, user_id)
    events = _pending_events(session, user_id)
    cards = _cards(session, user_id, {e.question_id for e in events})
    applied = 0
    for event in _relevant(events, cards):
        card = cards.get(event.question_id)
        if card is None:
            card = ReviewCard(
                user_id=user_id,
                question_id=event.question_id,
                due_at=event.at,
                state={},
                created_at=event.at,
            )
            session.add(card)
            session.flush()
            cards[event.question_id] = card
        scheduled = review(card.state or None, event.rating, event.at, card_id=event.question_id)
        card.state = scheduled.state
        card.due_at = scheduled.due
        session.add(
            ReviewLog(
                card_id=card.id,
                rating=int(event.rating),
                reviewed_at=scheduled.reviewed_at,
                attempt_id=event.attempt_id,
            )
        )
        applied += 1
    session.commit()
    return applied


# --- what the pages show ---------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    """A card due today: its question key, sub-domain and due time."""

    card_id: int
    key: str
    subdomain: str
    due: datetime

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "key": self.key,
            "subdomain": self.subdomain,
            "due": self.due.isoformat().replace("+00:00", "Z"),
        }


def due_items(session: Session, user_id: int, *, now: datetime) -> list[DueItem]:
    """Cards due before the next UTC midnight whose question is still published, soonest first."""
    latest = _published_versions()
    rows = session.execute(
        select(ReviewCard.id, Question.key, QuestionVersion.subdomain, ReviewCard.due_at)
        .join(Question, Question.id == ReviewCard.question_id)
        .join(latest, latest.c.question_id == ReviewCard.question_id)
        .join(QuestionVersion, QuestionVersion.id == latest.c.version_id)
        .where(ReviewCard.user_id == user_id, ReviewCard.due_at < due_cutoff(now))
        .order_by(ReviewCard.due_at, ReviewCard.id)
    )
    return [DueItem(cid, key, sub, as_utc(due)) for cid, key, sub, due in rows]


def review_days(session: Session, user_id: int, *, now: datetime, days: int) -> set[date]:
    """UTC days with at least one review log of the user, among the last ``days`` days."""
    since = day_start(now) - timedelta(days=days)
    moments = session.scalars(
        select(ReviewLog.reviewed_at)
        .join(ReviewCard, ReviewCard.id == ReviewLog.card_id)
        .where(ReviewCard.user_id == user_id, ReviewLog.reviewed_at >= since)
    )
    return {as_utc(moment).date() for moment in moments}


def study_streak(session: Session, user_id: int, *, now: datetime) -> tuple[int, bool]:
    """The streak in days (at most STREAK_WINDOW_DAYS), and whether today has a review."""
    today = as_utc(now).date()
    # A fortnight of logs settles almost every streak; only a longer one reads the full window.
    for window in (SHORT_STREAK_WINDOW_DAYS, STREAK_WINDOW_DAYS):
        days = review_days(session, user_id, now=now, days=window)
        length = streak(days, today)
        if length < window - 1:
            break
    return length, today in days


@dataclass(frozen=True)
class StudySummary:
    """What the dashboard's Study panel shows."""

    due_today: int
    in_queue: int
    next_due: datetime | None
    streak: int
    reviewed_today: bool
    open_review_id: int | None


def summary(session: Session, user_id: int, *, now: datetime) -> StudySummary:
    """Record outstanding outcomes, then count the queue, the due items and the streak."""
    record_outcomes(session, user_id, now=now)
    due = due_items(session, user_id, now=now)
    in_queue = session.scalar(
        select(func.count(ReviewCard.id)).where(ReviewCard.user_id == user_id)
    )
    next_due = session.scalar(
        select(func.min(ReviewCard.due_at)).where(
            ReviewCard.user_id == user_id, ReviewCard.due_at >= due_cutoff(now)
        )
    )
    length, reviewed_today = study_streak(session, user_id, now=now)
    current = open_review(session, user_id)
    return StudySummary(
        due_today=len(due),
        in_queue=int(in_queue or 0),
        next_due=as_utc(next_due) if next_due is not None else None,
        streak=length,
        reviewed_today=reviewed_today,
        open_review_id=current.id if current is not None else None,
    )


@dataclass(frozen=True)
class MasteryHistory:
    """Sub-domain mastery after each of the newest finished mocks and drills, and now."""

    subdomains: tuple[Subdomain, ...]
    points: tuple[MasteryPoint, ...]
    standing: Standing

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "subdomains": [{"code": s.code, "title": s.title} for s in self.subdomains],
            "points": [
                {
                    "attempt_id": p.attempt_id,
                    "kind": p.kind,
                    "finished_at": p.finished_at.isoformat().replace("+00:00", "Z"),
                    "means": dict(p.means),
                    "totals": dict(p.totals),
                }
                for p in self.points
            ],
            "standing": self.standing.to_dict(),
        }


def mastery_history(
    session: Session, user_id: int, *, last: int = 8, target: float = 0.65
) -> MasteryHistory:
    """Posterior mean success rate per sub-domain after each of the ``last`` mocks and drills."""
    if last < 1:
        raise ValidationFailed(f"last: must be 1 or more, got {last}")
    blueprint = bundled_blueprint()
    grouped: dict[int, list[_ItemRow]] = defaultdict(list)
    for row in _measured_rows(session, user_id):
        grouped[row.attempt_id].append(row)
    finished = [
        FinishedAttempt(
            attempt_id=attempt_id,
            kind=rows[0].kind,
            finished_at=as_utc(rows[0].finished_at or rows[0].started_at),
            observations=tuple(_observation(r) for r in rows),
        )
        for attempt_id, rows in grouped.items()
    ]
    points = mastery_over_time(finished, blueprint, last=last, target=target)
    observations = [o for attempt in finished for o in attempt.observations]
    return MasteryHistory(
        subdomains=tuple(s for d in blueprint.domains for s in d.subdomains),
        points=points,
        standing=assess(observations, blueprint, target=target),
    )
