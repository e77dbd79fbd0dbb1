"""The instructor home: cohorts with completion and averages, reviews waiting, flagged items,
recent imports. Read-only; each part is a few queries, so the page costs no recompute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.domain.grading import Score
from exam_engine.domain.vocabulary import Role, VersionStatus
from exam_engine.models import AuditEvent, Question, QuestionVersion, User
from exam_engine.services import item_stats
from exam_engine.services.cohorts.access import list_cohorts
from exam_engine.services.cohorts.assignments import assignment_lines
from exam_engine.services.cohorts.scorecard import cohort_summary, students_of
from exam_engine.services.errors import NotFound

SHOWN = 5


@dataclass(frozen=True)
class CohortLine:
    """One taught cohort: size, assignment completion and the pooled average."""

    cohort_id: int
    name: str
    students: int
    assignments: int
    finished: int
    expected: int
    average: Score | None

    @property
    def completion(self) -> float | None:
        """Return finished sittings / (students x assignments), None when nothing is due."""
        return self.finished / self.expected if self.expected else None


@dataclass(frozen=True)
class ReviewLine:
    """A version in review that this user may publish (someone else wrote it)."""

    key: str
    number: int
    subdomain: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class ImportLine:
    """A recorded bank import."""

    at: datetime
    actor: str
    summary: str


@dataclass(frozen=True)
class InstructorHome:
    """Everything the instructor home shows."""

    cohorts: list[CohortLine]
    reviews: list[ReviewLine]
    reviews_total: int
    flagged: list[item_stats.ItemRow]
    flagged_total: int
    judged_items: int
    stats_computed: bool
    imports: list[ImportLine]


def cohort_lines(session: Session, user_id: int) -> list[CohortLine]:
    """The cohorts the user teaches (all, for an admin) with completion and average."""
    teaching, _ = list_cohorts(session, user_id)
    out = []
    for summary in teaching:
        cohort = summary.cohort
        students = students_of(session, cohort.id)
        lines = assignment_lines(session, cohort.id)
        # The two figures of the cohort's scorecard this page shows, not the whole card.
        figures = cohort_summary(session, cohort.id, students, lines)
        out.append(
            CohortLine(
                cohort_id=cohort.id,
                name=cohort.name,
                students=summary.students,
                assignments=summary.assignments,
                finished=sum(c.finished for c in figures.completion),
                expected=sum(c.students for c in figures.completion),
                average=figures.overall if figures.overall.total else None,
            )
        )
    return out


def waiting_reviews(session: Session, user: User) -> tuple[list[ReviewLine], int]:
    """Versions in review the user may publish (not their own; an admin may publish any)."""
    condition = QuestionVersion.status == VersionStatus.IN_REVIEW
    if user.role != Role.ADMIN:
        condition = condition & (QuestionVersion.author_id.is_distinct_from(user.id))
    total = session.scalar(select(func.count(QuestionVersion.id)).where(condition)) or 0
    rows = session.execute(
        select(
            Question.key,
            QuestionVersion.number,
            QuestionVersion.subdomain,
            User.name,
            User.email,
            QuestionVersion.created_at,
        )
        .join(Question, Question.id == QuestionVersion.question_id)
        .outerjoin(User, User.id == QuestionVersion.author_id)
        .where(condition)
        .order_by(QuestionVersion.created_at, Question.key)
        .limit(SHOWN)
    ).tuples()
    lines = [
        ReviewLine(key, number, sub, name or email or "unknown", created)
        for key, number, sub, name, email, created in rows
    ]
    return lines, total


def recent_imports(session: Session) -> list[ImportLine]:
    """The latest bank imports, newest first."""
    rows = session.execute(
        select(AuditEvent.at, User.name, User.email, AuditEvent.summary)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.action == "import", AuditEvent.object_type == "bank")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(SHOWN)
    ).tuples()
    return [ImportLine(at, name or email or "command line", text) for at, name, email, text in rows]


def instructor_home(session: Session, user_id: int) -> InstructorHome:
    """Gather the instructor home for ``user_id`` (an instructor or admin)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    reviews, reviews_total = waiting_reviews(session, user)
    scope = item_stats.scope_status(session, item_stats.ALL_TEMPLATES)
    page = item_stats.list_items(
        session, item_stats.ALL_TEMPLATES, flag="any", sort="flags", per_page=SHOWN
    )
    too_few = page.flag_counts.get("too-few-responses", 0)
    return InstructorHome(
        cohorts=cohort_lines(session, user_id),
        reviews=reviews,
        reviews_total=reviews_total,
        flagged=page.rows,
        flagged_total=page.total,
        judged_items=page.all_items - too_few,
        stats_computed=scope.computed,
        imports=recent_imports(session),
    )
