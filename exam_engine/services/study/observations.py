"""What a candidate's finished attempts say: graded item rows, observations, mastery over time."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from exam_engine.domain.blueprint import Subdomain
from exam_engine.domain.drills import FinishedAttempt, MasteryPoint, mastery_over_time
from exam_engine.domain.moments import iso_utc
from exam_engine.domain.scheduling import as_utc
from exam_engine.domain.vocabulary import FINISHED, AttemptKind
from exam_engine.domain.weak_areas import Observation, Standing, assess
from exam_engine.models import Attempt, AttemptItem, Question, QuestionVersion
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.errors import ValidationFailed
from exam_engine.services.shown_items import shown_items

# The attempts whose answers measure the candidate: reviews repeat items, so they do not.
MEASURED_KINDS = (AttemptKind.MOCK, AttemptKind.DRILL)


@dataclass(frozen=True)
class ItemRow:
    """An attempt item with its grading facts, as study reads it."""

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


def item_rows(session: Session, *conditions: ColumnElement[bool]) -> list[ItemRow]:
    """Attempt items with their version's grading facts, filtered by ``conditions``."""
    rows = session.execute(
        shown_items(
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
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(*conditions)
        .order_by(Attempt.id, AttemptItem.position)
    )
    return [
        ItemRow(
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


def measured_rows(session: Session, user_id: int) -> list[ItemRow]:
    """Items of the user's finished mocks and drills."""
    return item_rows(
        session,
        Attempt.user_id == user_id,
        Attempt.kind.in_(MEASURED_KINDS),
        Attempt.status.in_(FINISHED),
    )


def observation(row: ItemRow) -> Observation:
    """The weak-area model's view of one graded item."""
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
                    "finished_at": iso_utc(p.finished_at),
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
    grouped: dict[int, list[ItemRow]] = defaultdict(list)
    for row in measured_rows(session, user_id):
        grouped[row.attempt_id].append(row)
    finished = [
        FinishedAttempt(
            attempt_id=attempt_id,
            kind=rows[0].kind,
            finished_at=as_utc(rows[0].finished_at or rows[0].started_at),
            observations=tuple(observation(r) for r in rows),
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
