"""One transaction per use case: commit when the block ends, roll back on any exception.

The shape of cosmicpython's unit of work without its repositories (the ORM session is the
repository here): a use case opens ``with transaction(session):``, does its reads and writes,
and either the whole block commits or none of it does. A unique or foreign key that loses a
race becomes a :class:`Conflict` the web layer turns into 409, never a 500. Nothing else in
the services commits or rolls back by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.services.errors import Conflict

T = TypeVar("T")
P = ParamSpec("P")
_ACTIVE = "exam_engine.transaction.active"
DEFAULT_CONFLICT = "someone else changed this at the same moment; nothing was saved, try again"


@contextmanager
def transaction(
    session: Session, *, conflict: str = DEFAULT_CONFLICT, keep_loaded: bool = False
) -> Iterator[Session]:
    """Run the block as one transaction: commit at its end, roll back if anything raises.

    :param conflict: the message of the Conflict an integrity error becomes.
    :param keep_loaded: commit without expiring loaded objects, for a caller that reads the
        same unchanged rows right after (the autosave view reads the user and the attempt).
    """
    if session.info.get(_ACTIVE):
        # An inner commit would end the outer use case's transaction half-way.
        raise RuntimeError("transaction() inside transaction(): call the inner step's helper")
    session.info[_ACTIVE] = True
    try:
        yield session
        if keep_loaded:
            _commit_keeping_loaded(session)
        else:
            session.commit()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(conflict) from error
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_ACTIVE, None)


def end_read(session: Session) -> None:
    """End a transaction that only read, releasing its snapshot and locks.

    Used before a use case that writes in separate transactions (a sweep that finalizes
    attempts one by one, a recompute that reads then writes): SQLite has one writer, and a
    reader that upgrades to a writer after someone else wrote fails instead of waiting.
    """
    session.rollback()


def discard(session: Session) -> None:
    """Throw away whatever a failed request left in the session (the web error handlers)."""
    session.rollback()


def _commit_keeping_loaded(session: Session) -> None:
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def in_transaction(
    helper: Callable[Concatenate[Session, P], T],
    *,
    keep_loaded: bool = False,
    retry_races: bool = False,
) -> Callable[Concatenate[Session, P], T]:
    """The use case that runs ``helper`` (which writes in its caller's transaction) as one.

    ``retry_races`` runs it again when a unique key lost a race (see :func:`retry_on_race`).
    """

    @functools.wraps(helper)
    def use_case(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        def run() -> T:
            with transaction(session, keep_loaded=keep_loaded):
                return helper(session, *args, **kwargs)

        return retry_on_race(run) if retry_races else run()

    return use_case


def retry_on_race(use_case: Callable[[], T], *, times: int = 1) -> T:
    """Run a use case, and again (up to ``times`` more) when a unique key lost a race.

    For use cases that create a shared row on first use (a hidden template, say): the loser's
    transaction rolls back whole, and its second run reads the winner's row.
    """
    for _ in range(times):
        try:
            return use_case()
        except Conflict as error:
            if not isinstance(error.__cause__, IntegrityError):
                raise
    return use_case()
