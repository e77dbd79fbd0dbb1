"""A cohort student's profile for their instructor: sub-domains, trend and pass estimate.

Only the student's attempts at this cohort's assigned mocks count: the instructor sees what
the cohort set, never the mocks the student sat on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from exam_engine.domain.irt import AbilityEstimate
from exam_engine.domain.verdict import ReadinessVerdict, classical_verdict
from exam_engine.domain.vocabulary import FINISHED
from exam_engine.services.calibration import AttemptAbility
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.cohorts.abilities import pooled_abilities, sitting_abilities
from exam_engine.services.cohorts.drilldown import StudentAttempt
from exam_engine.services.scorecards.outlook import Outlook, outlook


@dataclass(frozen=True)
class TrendPoint:
    """One finished cohort mock in the student's trend (oldest first)."""

    attempt_id: int
    number: int
    title: str
    finished_at: datetime | None
    percent: float
    ability: AbilityEstimate | None


@dataclass(frozen=True)
class StudentProfile:
    """Pooled standing by sub-domain, ability where calibrated, trend and verdict."""

    outlook: Outlook
    ability: AttemptAbility
    verdict: ReadinessVerdict | None
    trend: tuple[TrendPoint, ...]
    domains: tuple[tuple[str, str], ...]

    @property
    def finished(self) -> int:
        """Return how many of the cohort's mocks the profile rests on."""
        return self.outlook.mocks


def student_profile(
    session: Session, student_id: int, sittings: Sequence[StudentAttempt], *, target: float
) -> StudentProfile:
    """Build the profile from the student's sittings of the cohort's mocks (drilldown's)."""
    blueprint = bundled_blueprint()
    finished = [s for s in sittings if s.attempt.status in FINISHED and s.attempt.result]
    ids = [s.attempt.id for s in finished]
    pooled = outlook(session, student_id, blueprint, target=target, among=ids)
    verdict = None
    if pooled.readiness is not None:
        verdict = classical_verdict(
            pooled.standing.correct,
            pooled.standing.total,
            pooled.mocks,
            pass_probability=pooled.readiness.pass_probability,
            target=pooled.target,
        )
    abilities = pooled_abilities(session, ids) if ids else sitting_abilities(session, [])
    per_attempt = sitting_abilities(session, ids) if ids else abilities
    ordered = sorted(
        finished, key=lambda s: (s.attempt.submitted_at or s.attempt.started_at, s.attempt.id)
    )
    trend = tuple(
        TrendPoint(
            attempt_id=s.attempt.id,
            number=s.line.number,
            title=s.line.template.title,
            finished_at=s.attempt.submitted_at,
            percent=float((s.attempt.result or {})["score"]["percent"]),
            ability=per_attempt.of(s.attempt.id).overall,
        )
        for s in ordered
    )
    ability = abilities.of(student_id)
    return StudentProfile(
        outlook=pooled,
        ability=ability,
        verdict=verdict,
        trend=trend,
        domains=tuple((d.code, d.title) for d in blueprint.domains),
    )
