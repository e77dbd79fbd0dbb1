"""Saving an answer: idempotent per (position, seq), newest seq wins, refused after time.

Saves take a shared lock on the attempt and finalizing an exclusive one, so no save is
accepted after grading (PostgreSQL; SQLite has one writer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from exam_engine.domain.vocabulary import FINISHED, AttemptStatus
from exam_engine.models import Attempt, AttemptItem, Response
from exam_engine.services.attempts.finishing import finalize
from exam_engine.services.attempts.reading import (
    OPTION_IDS,
    get_attempt,
    is_past_grace,
    stored_index,
)
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from exam_engine.services.transaction import transaction


class DeadlinePassed(Conflict):
    """The attempt's time is up; the save was not recorded."""


class AttemptFinished(Conflict):
    """The attempt is already submitted or expired."""


class AnswerLocked(Conflict):
    """A practice answer already checked cannot change."""


class _TimeUp(Exception):
    """Raised inside a save's transaction when the clock has run out (finalized after it)."""

    def __init__(self, attempt_id: int, deadline: datetime) -> None:
        self.attempt_id = attempt_id
        self.deadline = deadline


@dataclass(frozen=True)
class SaveResult:
    """Outcome of a save: whether this request changed the stored answer."""

    position: int
    accepted: bool
    choice: str | None
    flagged: bool
    seq: int
    saved_at: datetime | None
    attempt_seq: int
    struck: tuple[str, ...] = ()
    # The attempt as the save saw it, still loaded: holding it keeps it in the session's
    # identity map, so the caller's next get_attempt costs no round trip.
    attempt: Attempt | None = field(default=None, repr=False, compare=False)


# The autosave's statements, built once: building them on every save cost more CPU than
# running them. One read takes the attempt under a shared lock (finalize takes it
# exclusively, so no save is accepted after grading) with the item and the attempt's
# highest seq so far; then the response is inserted once per seq and the item updated
# only by a newer seq.
ITEMS = cast(Table, AttemptItem.__table__)
RESPONSES = cast(Table, Response.__table__)
_OTHER = aliased(AttemptItem)
SAVE_READ = (
    select(
        Attempt,
        AttemptItem.id,
        AttemptItem.option_order,
        AttemptItem.choice,
        AttemptItem.checked_at,
        AttemptItem.struck,
        select(func.coalesce(func.max(_OTHER.last_seq), 0))
        .where(_OTHER.attempt_id == bindparam("attempt_id"))
        .scalar_subquery(),
    )
    .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
    .where(
        Attempt.id == bindparam("attempt_id"),
        Attempt.user_id == bindparam("user_id"),
        AttemptItem.position == bindparam("position"),
    )
    .with_for_update(read=True, of=Attempt)
)
RESPONSE_VALUES: dict[str, Any] = {
    "attempt_item_id": bindparam("item_id"),
    "seq": bindparam("seq"),
    "choice": bindparam("choice"),
    "flagged": bindparam("flagged"),
    "saved_at": bindparam("at"),
}
# ON CONFLICT DO NOTHING: one statement where a savepoint costs two more round trips.
SAVE_INSERT = {
    module.__name__.rsplit(".", 1)[1]: module.insert(RESPONSES)
    .values(RESPONSE_VALUES)
    .on_conflict_do_nothing(index_elements=["attempt_item_id", "seq"])
    .returning(RESPONSES.c.id)
    for module in (postgresql, sqlite)
}
SAVE_UPDATE = (
    update(ITEMS)
    .where(ITEMS.c.id == bindparam("item_id"), ITEMS.c.last_seq < bindparam("seq"))
    .values(
        choice=bindparam("choice"),
        flagged=bindparam("flagged"),
        last_seq=bindparam("seq"),
        saved_at=bindparam("at"),
        # A save that says nothing about struck options keeps them.
        struck=func.coalesce(bindparam("struck"), ITEMS.c.struck),
    )
)


def save_response(
    session: Session,
    user_id: int,
    attempt_id: int,
    position: int,
    *,
    choice: str | None,
    flagged: bool,
    seq: int,
    now: datetime,
    grace_seconds: int,
    struck: Sequence[str] | None = None,
) -> SaveResult:
    """Record one save; idempotent per (position, seq), newest seq wins, refused after time.

    ``struck``: the option ids the candidate struck out (a note, never graded); None keeps
    the stored ones.
    """
    if seq < 1:
        raise ValidationFailed("seq: must be a positive integer")
    try:
        with transaction(session, keep_loaded=True):
            row = _locked_row(session, user_id, attempt_id, position, now, grace_seconds)
            stored = stored_index(row.option_order, choice)
            if row.checked_at is not None and stored != row.current:
                raise AnswerLocked(
                    f"position {position} is locked: its answer was checked, so it can no "
                    "longer be changed (the flag still can)"
                )
            bits = None if struck is None else struck_bits(row.option_order, struck)
            return _write(session, row, position, stored, flagged, seq, now, bits)
    except _TimeUp as up:
        # Graded in its own transaction, once the save's shared lock is released.
        finalize(session, up.attempt_id, now, status=AttemptStatus.EXPIRED)
        raise DeadlinePassed(
            f"time is up for attempt {up.attempt_id}: the deadline was "
            f"{up.deadline:%H:%M:%S} UTC; answers saved before it are graded"
        ) from None


class _Row(NamedTuple):
    """What a save reads under the attempt's shared lock."""

    attempt: Attempt
    item_id: int
    option_order: list[Any]
    current: int | None
    checked_at: datetime | None
    struck: int
    newest_seq: int


def _locked_row(
    session: Session, user_id: int, attempt_id: int, position: int, now: datetime, grace: int
) -> _Row:
    """The attempt and position under a shared lock, or why the save is refused."""
    row = session.execute(
        SAVE_READ, {"attempt_id": attempt_id, "user_id": user_id, "position": position}
    ).one_or_none()
    if row is None:
        # No such attempt of this user, or no such position: say which, in the usual order.
        refuse_closed(get_attempt(session, user_id, attempt_id, lock=True), now, grace)
        raise NotFound(f"attempt {attempt_id} has no position {position}")
    found = _Row(*row)
    refuse_closed(found.attempt, now, grace)
    return found


def _write(
    session: Session,
    row: _Row,
    position: int,
    stored: int | None,
    flagged: bool,
    seq: int,
    now: datetime,
    struck: int | None,
) -> SaveResult:
    """Insert the response once per seq and move the item forward only for a newer seq."""
    values = {
        "item_id": row.item_id,
        "seq": seq,
        "choice": stored,
        "flagged": flagged,
        "at": now,
        "struck": struck,
    }
    # The same seq again (a retry) inserts nothing: the first one counted.
    accepted = (
        insert_response_once(session, values)
        and cast(CursorResult[Any], session.execute(SAVE_UPDATE, values)).rowcount == 1
    )
    kept = row.struck if struck is None else struck
    state: tuple[int | None, bool, int, datetime | None, int] = (stored, flagged, seq, now, kept)
    if not accepted:
        state = (
            session.execute(
                select(
                    AttemptItem.choice,
                    AttemptItem.flagged,
                    AttemptItem.last_seq,
                    AttemptItem.saved_at,
                    AttemptItem.struck,
                ).where(AttemptItem.id == row.item_id)
            )
            .one()
            ._tuple()
        )
    order = list(row.option_order)
    return SaveResult(
        position=position,
        accepted=accepted,
        choice=None if state[0] is None else OPTION_IDS[order.index(state[0])],
        flagged=state[1],
        seq=state[2],
        saved_at=state[3],
        attempt_seq=max(row.newest_seq, state[2]),
        struck=struck_ids(order, state[4]),
        attempt=row.attempt,
    )


def struck_bits(option_order: Sequence[Any], struck: Sequence[str]) -> int:
    """Struck option ids as shown, as a bit per stored option index."""
    bits = 0
    for option in struck:
        index = stored_index(list(option_order), option)
        assert index is not None  # stored_index maps only None to None
        bits |= 1 << index
    return bits


def struck_ids(option_order: Sequence[Any], bits: int) -> tuple[str, ...]:
    """The option ids as shown whose stored index is struck, in the order shown."""
    return tuple(
        OPTION_IDS[shown] for shown, stored in enumerate(option_order) if bits >> stored & 1
    )


def refuse_closed(attempt: Attempt, now: datetime, grace_seconds: int) -> None:
    """Raise when the attempt takes no more saves (the caller finalizes one whose time is up)."""
    if attempt.status in FINISHED:
        raise AttemptFinished(f"attempt {attempt.id} is already {attempt.status}")
    if is_past_grace(attempt, now, grace_seconds):
        assert attempt.deadline_at is not None  # is_past_grace is False without one
        raise _TimeUp(attempt.id, attempt.deadline_at)


def insert_response_once(session: Session, values: dict[str, Any]) -> bool:
    """Insert a Response unless its (item, seq) exists; True when this call inserted it."""
    statement = SAVE_INSERT.get(session.get_bind().dialect.name)
    if statement is not None:
        # RETURNING, not rowcount: psycopg reports no row count for this statement.
        return session.execute(statement, values).first() is not None
    try:
        with session.begin_nested():
            session.execute(RESPONSES.insert().values(RESPONSE_VALUES), values)
    except IntegrityError:
        return False
    return True
