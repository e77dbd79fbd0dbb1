"""Feeding the review queue: answers not yet recorded become FSRS reviews (see the package doc)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fsrs import Rating
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from exam_engine.domain.scheduling import answer_seconds, as_utc, enters_queue, rating_for, review
from exam_engine.domain.vocabulary import FINISHED, AttemptKind
from exam_engine.models import Attempt, AttemptItem, Response, ReviewCard, ReviewLog
from exam_engine.services import attempts
from exam_engine.services.study.observations import MEASURED_KINDS, ItemRow, item_rows
from exam_engine.services.transaction import transaction


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
    session: Session, rows: Sequence[ItemRow]
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
    measured = item_rows(
        session,
        Attempt.user_id == user_id,
        Attempt.kind.in_(MEASURED_KINDS),
        Attempt.status.in_(FINISHED),
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
    reviewed = item_rows(
        session,
        Attempt.user_id == user_id,
        Attempt.kind == AttemptKind.REVIEW,
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
        if row.kind == AttemptKind.REVIEW:
            at = first.get(key) or row.started_at
        else:
            # The rating is given when the mock or drill was finished.
            assert row.finished_at is not None
            at = row.finished_at
        may_create = row.kind != AttemptKind.REVIEW and enters_queue(rating)
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
    with transaction(session):
        attempts.lock_user(session, user_id)
        return _apply(session, user_id)


def _apply(session: Session, user_id: int) -> int:
    """Recompute the pending events under the user's lock and write them; return how many."""
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
    return applied
