"""A candidate's outlook pooled over finished mocks: standing, readiness and the next drill.

Shared by the scorecard, the history and the result API; the blueprint helpers here name
domains and sub-domains for all of them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.grading import Score
from exam_engine.domain.readiness import Readiness, estimate_readiness
from exam_engine.domain.vocabulary import FINISHED, AttemptKind, Mode
from exam_engine.domain.weak_areas import Observation, Standing, SubdomainStanding, assess
from exam_engine.models import Attempt, AttemptItem, ExamTemplate, Question, QuestionVersion
from exam_engine.services.shown_items import shown_items

DEFAULT_FORM_SIZE = 90
# The scorecard leads with this many weak areas, each beside its drill.
TOP_WEAK = 3


@dataclass(frozen=True)
class StandingLine:
    """A sub-domain's pooled standing with its blueprint title."""

    title: str
    standing: SubdomainStanding

    @property
    def code(self) -> str:
        """Return the sub-domain code."""
        return self.standing.code

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {**self.standing.to_dict(), "title": self.title}


@dataclass(frozen=True)
class DrillSuggestion:
    """The drill to take next: the domain drill of the weakest sub-domain's domain."""

    template: str
    template_title: str
    subdomain: str
    subdomain_title: str
    domain: str
    domain_title: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "template": self.template,
            "template_title": self.template_title,
            "subdomain": self.subdomain,
            "subdomain_title": self.subdomain_title,
            "domain": self.domain,
            "domain_title": self.domain_title,
            "status": self.status,
        }


@dataclass(frozen=True)
class WeakArea:
    """One of the top weak areas and the drill of its domain (None: no such drill)."""

    line: StandingLine
    drill_template: str | None
    drill_title: str | None


@dataclass(frozen=True)
class Outlook:
    """Weak areas, readiness and the next drill, pooled across finished mocks."""

    mocks: int
    standing: Standing
    lines: tuple[StandingLine, ...]
    weak_areas: tuple[StandingLine, ...]
    readiness: Readiness | None
    next_drill: DrillSuggestion | None
    form_size: int
    top_weak: tuple[WeakArea, ...] = ()

    @property
    def target(self) -> float:
        """Return the target rate (0-1) the standing was judged against."""
        return self.standing.target

    def line(self, code: str) -> StandingLine | None:
        """Return the standing of one sub-domain, or None when the blueprint lacks it."""
        return next((line for line in self.lines if line.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "mocks": self.mocks,
            "items": self.standing.total,
            "correct": self.standing.correct,
            "target": self.target,
            "form_size": self.form_size,
            "subdomains": [line.to_dict() for line in self.lines],
            "weak_areas": [line.to_dict() for line in self.weak_areas],
            "next_drill": self.next_drill.to_dict() if self.next_drill else None,
            "readiness": self.readiness.to_dict() if self.readiness else None,
        }


def score_of(data: dict[str, Any]) -> Score:
    """Rebuild a Score from its cached JSON form."""
    low, high = data["ci"]
    return Score(int(data["correct"]), int(data["total"]), float(data["percent"]), (low, high))


def title_of(blueprint: Blueprint, code: str) -> str:
    """Return a domain's or sub-domain's title, or the code when the blueprint lacks it."""
    for domain in blueprint.domains:
        if domain.code == code:
            return domain.title
        for sub in domain.subdomains:
            if sub.code == code:
                return sub.title
    return code


def domain_of(blueprint: Blueprint, subdomain: str) -> str:
    """Return the domain code of a sub-domain (by blueprint, else by the code's prefix)."""
    for domain in blueprint.domains:
        if any(sub.code == subdomain for sub in domain.subdomains):
            return domain.code
    return subdomain.split("-", 1)[0]


def form_size(blueprint: Blueprint) -> int:
    """Return the size of the blueprint's full exam form (its largest timed template)."""
    return max(
        (t.item_count for t in blueprint.templates if t.mode == Mode.EXAM),
        default=DEFAULT_FORM_SIZE,
    )


def mock_observations(
    session: Session,
    user_id: int,
    *,
    until: datetime | None = None,
    among: Collection[int] | None = None,
) -> tuple[list[Observation], int]:
    """Return every item of the user's finished mocks (up to ``until``; only the attempts
    ``among``, when given) and how many mocks."""
    mocks = select(Attempt.id, Attempt.started_at).where(
        Attempt.user_id == user_id,
        Attempt.kind == AttemptKind.MOCK,
        # Untimed practice shows the key after each answer: never pooled as a mock.
        Attempt.mode == Mode.EXAM,
        Attempt.status.in_(FINISHED),
    )
    if until is not None:
        mocks = mocks.where(Attempt.submitted_at <= until)
    if among is not None:
        mocks = mocks.where(Attempt.id.in_(list(among)))
    started = dict(session.execute(mocks).tuples().all())
    if not started:
        return [], 0
    # Core rows on the session's connection, no ORM loading: this runs on every scorecard,
    # over every item of every finished mock.
    rows = session.connection().execute(
        shown_items(
            AttemptItem.attempt_id,
            Question.key,
            QuestionVersion.domain,
            QuestionVersion.subdomain,
            AttemptItem.choice,
            QuestionVersion.answer_index,
        ).where(AttemptItem.attempt_id.in_(list(started)))
    )
    observations = [
        Observation(key, domain, subdomain, choice is not None and choice == answer, started[aid])
        for aid, key, domain, subdomain, choice, answer in rows
    ]
    return observations, len(started)


def domain_drill(session: Session, domain: str) -> tuple[str, str] | None:
    """Return (name, title) of the active practice template that drills exactly one domain."""
    rows = session.execute(
        select(
            ExamTemplate.name,
            ExamTemplate.title,
            ExamTemplate.domain_weights,
            ExamTemplate.subdomains,
        ).where(ExamTemplate.is_active, ExamTemplate.mode == Mode.PRACTICE)
    ).tuples()
    matches = sorted(
        (name, title)
        for name, title, weights, subdomains in rows
        if not subdomains
        and {code for code, weight in (weights or {}).items() if weight} == {domain}
    )
    # Prefer the bundled naming (drill-d1) when several templates drill the same domain.
    matches.sort(key=lambda match: match[0] != f"drill-{domain.lower()}")
    return matches[0] if matches else None


def outlook(
    session: Session,
    user_id: int,
    blueprint: Blueprint,
    *,
    target: float,
    until: datetime | None = None,
    among: Collection[int] | None = None,
) -> Outlook:
    """Assess the user's standing, readiness and next drill from their finished mocks (only
    the attempts ``among``, when given: a cohort's instructor sees the cohort's mocks only)."""
    observations, mocks = mock_observations(session, user_id, until=until, among=among)
    standing = assess(observations, blueprint, target=target)
    size = form_size(blueprint)
    lines = tuple(StandingLine(title_of(blueprint, s.code), s) for s in standing.standings)
    by_code = {line.code: line for line in lines}
    suggestion = None
    for code in standing.next_drill:
        domain = domain_of(blueprint, code)
        drill = domain_drill(session, domain)
        if drill is not None:
            suggestion = DrillSuggestion(
                template=drill[0],
                template_title=drill[1],
                subdomain=code,
                subdomain_title=title_of(blueprint, code),
                domain=domain,
                domain_title=title_of(blueprint, domain),
                status=by_code[code].standing.status,
            )
            break
    weak_areas = tuple(by_code[s.code] for s in standing.weak_areas)
    drills: dict[str, tuple[str, str] | None] = {}
    top_weak = []
    for line in weak_areas[:TOP_WEAK]:
        domain = domain_of(blueprint, line.code)
        if domain not in drills:
            drills[domain] = domain_drill(session, domain)
        found = drills[domain]
        top_weak.append(WeakArea(line, *(found if found else (None, None))))
    return Outlook(
        mocks=mocks,
        standing=standing,
        lines=lines,
        weak_areas=weak_areas,
        top_weak=tuple(top_weak),
        readiness=estimate_readiness(
            standing.correct, standing.total, target=target, form_size=size
        ),
        next_drill=suggestion,
        form_size=size,
    )
