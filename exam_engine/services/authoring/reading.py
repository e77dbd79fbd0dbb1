"""Reading questions and their versions for the authoring pages."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import VersionStatus
from exam_engine.models import Question, QuestionVersion, User
from exam_engine.services.errors import NotFound


def get_question(session: Session, key: str, *, lock: bool = False) -> Question:
    """Return the question with this key, or raise NotFound."""
    query = select(Question).where(Question.key == key)
    if lock:
        # Serializes workflow steps on one question (PostgreSQL; SQLite has one writer).
        query = query.with_for_update()
    question = session.scalar(query)
    if question is None:
        raise NotFound(f"question {key!r} not found")
    return question


def newest_of(question: Question) -> QuestionVersion:
    """The question's newest version (every question has at least one)."""
    return max(question.versions, key=lambda v: v.number)


def live_of(question: Question) -> QuestionVersion | None:
    """The question's published version, the one new exams draw (if any)."""
    published = [v for v in question.versions if v.status == VersionStatus.PUBLISHED]
    return max(published, key=lambda v: v.number) if published else None


def version_of(question: Question, number: int) -> QuestionVersion:
    """Return version ``number`` of the question, or raise NotFound."""
    for version in question.versions:
        if version.number == number:
            return version
    raise NotFound(f"question {question.key} has no version {number}")


def load_user(session: Session, user_id: int) -> User:
    """The acting user, else NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Map user ids to display names (name, else email)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.name, User.email).where(User.id.in_(wanted)))
    return {uid: name or email for uid, name, email in rows}
