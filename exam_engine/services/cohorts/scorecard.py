"""The cohort scorecard: heatmap rows, averages, weakest areas, most-missed items, trend.

The numbers are computed by ``domain.cohort_stats``; this module reads what they need and
returns data (the web layer draws the charts).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Text, and_, cast, exists, func, select
from sqlalchemy.orm import Session, aliased

from exam_engine.domain import cohort_stats
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.cohort_stats import (
    AssignmentRef,
    AttemptRecord,
    CohortScorecard,
    ItemTally,
    MissedItem,
    StudentRef,
    StudentRow,
)
from exam_engine.domain.vocabulary import FINISHED, CohortRole, ScoreScale
from exam_engine.models import (
    Assignment,
    Attempt,
    AttemptItem,
    Cohort,
    Membership,
    Question,
    QuestionVersion,
    User,
)
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.cohorts.abilities import CohortAbilities, row_abilities, sort_by_ability
from exam_engine.services.cohorts.access import current_student
from exam_engine.services.cohorts.assignments import AssignmentLine, assignment_lines
from exam_engine.services.errors import ValidationFailed


@dataclass(frozen=True)
class StudentInfo:
    """What the cohort pages show about a student."""

    id: int
    email: str
    name: str
    time_multiplier: float

    @property
    def label(self) -> str:
        """Return the name, or the email when the account has no name."""
        return self.name or self.email


@dataclass(frozen=True)
class MissedItemView:
    """A most-missed item with what the instructor needs to read it."""

    item: MissedItem
    stem: str
    key_text: str
    distractor_text: str | None
    title: str

    @property
    def distractor_share(self) -> float:
        """Return the top distractor's share of all answers, as a percent."""
        return 100.0 * self.item.top_distractor_count / self.item.shown if self.item.shown else 0


@dataclass(frozen=True)
class CohortView:
    """Everything the scorecard page, the report and the exports read."""

    cohort: Cohort
    card: CohortScorecard
    rows: list[StudentRow]
    students: dict[int, StudentInfo]
    assignments: list[AssignmentLine]
    titles: dict[str, str]
    missed: list[MissedItemView]
    blueprint: Blueprint
    sort: str
    descending: bool
    scale: ScoreScale = ScoreScale.PERCENT
    abilities: CohortAbilities | None = None

    @property
    def shows_ability(self) -> bool:
        """Tell whether the heatmap shows ability (asked for, and the calibration allows it)."""
        return (
            self.scale == ScoreScale.ABILITY
            and self.abilities is not None
            and self.abilities.available
        )

    @property
    def column_codes(self) -> tuple[str, ...]:
        """Return the heatmap's score columns: each domain, then its sub-domains."""
        return self.card.codes

    @property
    def subdomain_codes(self) -> list[str]:
        """Return the sub-domain columns in blueprint order."""
        return [s.code for s in self.card.subdomains]

    @property
    def domain_codes(self) -> list[str]:
        """Return the domain columns in blueprint order."""
        return [d.code for d in self.card.domains]


def students_of(session: Session, cohort_id: int) -> list[StudentInfo]:
    """The cohort's current students."""
    rows = session.execute(
        select(User.id, User.email, User.name, Membership.time_multiplier)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort_id, Membership.role == CohortRole.STUDENT)
    ).tuples()
    return [StudentInfo(*row) for row in rows]


def _assigned_attempts(cohort_id: int, *result: Any) -> Select[Any]:
    """Query: each attempt a current student made at one of the cohort's assignments, its id,
    student, assignment, status and start, then the ``result`` columns given."""
    return (
        select(
            Attempt.id,
            Attempt.user_id,
            Attempt.assignment_id,
            Attempt.status,
            Attempt.started_at,
            *result,
        )
        .join(Assignment, Assignment.id == Attempt.assignment_id)
        .join(Membership, current_student(Attempt.user_id))
        .where(Assignment.cohort_id == cohort_id)
    )


def attempt_records(session: Session, cohort_id: int) -> list[AttemptRecord]:
    """Every attempt a current student made at one of the cohort's assignments."""
    # The result is fetched as text and parsed below, the same way on SQLite and PostgreSQL.
    rows = session.execute(_assigned_attempts(cohort_id, cast(Attempt.result, Text))).all()
    results = _parse_json([row[5] for row in rows])
    return [
        AttemptRecord(a, u, g or 0, s, t, r)
        for (a, u, g, s, t, _), r in zip(rows, results, strict=True)
    ]


def _parse_json(texts: Sequence[str | None]) -> list[Any]:
    """Parse cached results (SQL NULL and JSON null both give None)."""
    return [json.loads(text) if text is not None and text != "null" else None for text in texts]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a scorecard is built.

    Each cached result parses into about sixty dicts and lists, and the statistics add a few
    objects per cell: thousands of attempts trigger full collections that walk every
    long-lived object of the app (some 150,000 after imports) and everything allocated so far,
    which makes the build superlinear (three times slower at 200 students). These objects form
    no reference cycles and are freed by reference counting when the request ends, so nothing
    is missed; the collector resumes (if it was on) when the block exits.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _item_tallies(session: Session, cohort_id: int) -> list[ItemTally]:
    """How the cohort's students answered each item in the attempts that count."""
    earlier = aliased(Attempt)
    # Only the first finished sitting per student and assignment counts, as on the heatmap.
    first = ~exists().where(
        earlier.user_id == Attempt.user_id,
        earlier.assignment_id == Attempt.assignment_id,
        earlier.status.in_(FINISHED),
        (earlier.started_at < Attempt.started_at)
        | and_(earlier.started_at == Attempt.started_at, earlier.id < Attempt.id),
    )
    counts = (
        select(
            AttemptItem.question_version_id.label("vid"),
            AttemptItem.choice.label("choice"),
            func.count().label("n"),
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(Assignment, Assignment.id == Attempt.assignment_id)
        .join(Membership, current_student(Attempt.user_id))
        .where(Assignment.cohort_id == cohort_id, Attempt.status.in_(FINISHED), first)
        .group_by(AttemptItem.question_version_id, AttemptItem.choice)
        .subquery()
    )
    rows = session.execute(
        select(
            counts.c.vid,
            counts.c.choice,
            counts.c.n,
            QuestionVersion.answer_index,
            QuestionVersion.subdomain,
            Question.key,
        )
        .join(QuestionVersion, QuestionVersion.id == counts.c.vid)
        .join(Question, Question.id == QuestionVersion.question_id)
    ).tuples()
    tallies: dict[int, tuple[str, str, int, dict[int | None, int]]] = {}
    for vid, choice, n, answer, subdomain, key in rows:
        entry = tallies.setdefault(vid, (key, subdomain, answer, {}))
        entry[3][choice] = int(n)
    return [
        ItemTally(vid, key, sub, answer, choices)
        for vid, (key, sub, answer, choices) in tallies.items()
    ]


def _missed_views(
    session: Session, missed: Sequence[MissedItem], titles: dict[str, str]
) -> list[MissedItemView]:
    if not missed:
        return []
    versions = {
        v.id: v
        for v in session.scalars(
            select(QuestionVersion).where(QuestionVersion.id.in_([m.version_id for m in missed]))
        )
    }
    out = []
    for item in missed:
        version = versions[item.version_id]
        options = list(version.options)
        out.append(
            MissedItemView(
                item=item,
                stem=version.stem,
                key_text=options[item.answer_index],
                distractor_text=(
                    options[item.top_distractor] if item.top_distractor is not None else None
                ),
                title=titles.get(item.subdomain, item.subdomain),
            )
        )
    return out


def titles_of_blueprint() -> dict[str, str]:
    """Return code -> title for every domain and sub-domain of the bundled blueprint."""
    blueprint = bundled_blueprint()
    titles: dict[str, str] = {}
    for domain in blueprint.domains:
        titles[domain.code] = domain.title
        for sub in domain.subdomains:
            titles[sub.code] = sub.title
    return titles


def cohort_card(
    session: Session,
    cohort_id: int,
    students: Sequence[StudentInfo],
    lines: Sequence[AssignmentLine],
    blueprint: Blueprint,
    *,
    target: float,
) -> cohort_stats.CohortScorecard:
    """Pool the students' assigned attempts into the cohort's scorecard figures."""
    with gc_paused():
        return cohort_stats.build_scorecard(
            [StudentRef(s.id, s.label) for s in students],
            [AssignmentRef(line.assignment.id, line.template.title) for line in lines],
            attempt_records(session, cohort_id),
            blueprint,
            target=target,
        )


def score_records(session: Session, cohort_id: int) -> list[AttemptRecord]:
    """:func:`attempt_records` with only each result's score (correct and total), read by the
    database from the cached result instead of parsing it here."""
    score = Attempt.result["score"]
    query = _assigned_attempts(
        cohort_id, score["correct"].as_integer(), score["total"].as_integer()
    )
    rows = session.execute(query).all()
    return [
        AttemptRecord(
            a, u, g or 0, s, t, None if total is None else {"score": {"correct": c, "total": total}}
        )
        for a, u, g, s, t, c, total in rows
    ]


def cohort_summary(
    session: Session,
    cohort_id: int,
    students: Sequence[StudentInfo],
    lines: Sequence[AssignmentLine],
) -> cohort_stats.CohortSummary:
    """The cohort's pooled score and completion, as its scorecard counts them."""
    return cohort_stats.summarize(
        [StudentRef(s.id, s.label) for s in students],
        [AssignmentRef(line.assignment.id, line.template.title) for line in lines],
        score_records(session, cohort_id),
    )


def scorecard(
    session: Session,
    cohort: Cohort,
    *,
    target: float,
    sort: str = "name",
    descending: bool = False,
    missed_limit: int = 10,
    scale: ScoreScale = ScoreScale.PERCENT,
    with_abilities: bool = False,
) -> CohortView:
    """Build the cohort scorecard: heatmap rows, averages, weakest areas, missed items, trend.

    Abilities are estimated when the heatmap shows them (``scale``) or ``with_abilities``;
    on the ability scale, sorting by the overall or a domain column sorts by ability.
    """
    blueprint = bundled_blueprint()
    titles = titles_of_blueprint()
    students = students_of(session, cohort.id)
    lines = assignment_lines(session, cohort.id)
    card = cohort_card(session, cohort.id, students, lines, blueprint, target=target)
    valid = set(cohort_stats.SORT_KEYS) | set(card.codes)
    if sort not in valid:
        raise ValidationFailed(
            f"sort: {sort!r} is not a column (use name, finished, overall or a domain code)"
        )
    missed = cohort_stats.most_missed(_item_tallies(session, cohort.id), limit=missed_limit)
    rows = cohort_stats.sort_rows(card.rows, sort, descending=descending)
    abilities = None
    if with_abilities or scale == ScoreScale.ABILITY:
        abilities = row_abilities(session, card.rows)
        by_ability = sort == "overall" or sort in {d.code for d in card.domains}
        if scale == ScoreScale.ABILITY and abilities.available and by_ability:
            # Ties keep name order, as on the percent scale.
            by_name = cohort_stats.sort_rows(card.rows, "name")
            rows = sort_by_ability(by_name, abilities, sort, descending=descending)
    return CohortView(
        cohort=cohort,
        card=card,
        rows=rows,
        students={s.id: s for s in students},
        assignments=lines,
        titles=titles,
        missed=_missed_views(session, missed, titles),
        blueprint=blueprint,
        sort=sort,
        descending=descending,
        scale=scale,
        abilities=abilities,
    )
