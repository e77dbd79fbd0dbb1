"""The scorecard of one finished attempt: scores with intervals, outlook, pacing.

A scorecard is read-only: it takes the grade cached at finalize (graded against the versions
the attempt showed), the candidate's standing pooled from first exposures in their finished
mocks, the readiness estimate, and the attempt's pacing. An attempt's scorecard pools the
mocks finished up to that attempt, so it reads the same later; the history page pools all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from exam_engine.domain.grading import Score
from exam_engine.domain.irt.adaptive import MIN_CLASSIFIED, classified
from exam_engine.domain.item_analysis import DEFAULT_MIN_RESPONSES
from exam_engine.domain.moments import iso_utc
from exam_engine.domain.pacing import Pacing, measure_pacing
from exam_engine.domain.readiness import ESTIMATE_LABEL
from exam_engine.domain.readiness import scaled_estimate as to_scaled
from exam_engine.domain.verdict import ReadinessVerdict, ability_verdict, classical_verdict
from exam_engine.domain.vocabulary import AttemptStatus
from exam_engine.models import Attempt
from exam_engine.services import attempts, calibration
from exam_engine.services.catalog import blueprint_named
from exam_engine.services.errors import Conflict, NotFound
from exam_engine.services.scorecards.heading import AttemptHeading, heading_of
from exam_engine.services.scorecards.outlook import (
    Outlook,
    domain_of,
    outlook,
    score_of,
    title_of,
)


class AttemptInProgress(Conflict):
    """The attempt is not finished, so it has no results yet."""


@dataclass(frozen=True)
class ScoreLine:
    """A domain's or sub-domain's score in one attempt, with its blueprint title."""

    code: str
    title: str
    domain: str
    score: Score


@dataclass(frozen=True)
class Scorecard(AttemptHeading):
    """Everything the scorecard page and the result API show for one finished attempt."""

    submitted_at: datetime
    score: Score
    domains: tuple[ScoreLine, ...]
    subdomains: tuple[ScoreLine, ...]
    answered: int
    unanswered_positions: tuple[int, ...]
    flagged_positions: tuple[int, ...]
    scaled_estimate: int
    outlook: Outlook
    pacing: Pacing | None
    elapsed_seconds: float
    ability: calibration.AttemptAbility
    readiness_check: dict[str, Any] | None = None
    verdict: ReadinessVerdict | None = None
    estimate_label: str = ESTIMATE_LABEL

    @property
    def items(self) -> int:
        """Return how many items the attempt had."""
        return self.score.total

    @property
    def seconds_per_answered(self) -> float | None:
        """Return elapsed seconds per answered item (timed or not), None if none answered."""
        return self.elapsed_seconds / self.answered if self.answered else None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON result of the attempt."""

        def lines(values: Iterable[ScoreLine]) -> dict[str, Any]:
            return {
                line.code: {**line.score.to_dict(), "title": line.title, "domain": line.domain}
                for line in values
            }

        readiness = self.outlook.readiness
        probability = readiness.pass_probability if readiness else None
        # The pass probability and the scaled estimate come from the same evidence: the
        # pooled mocks (classical), this attempt's ability, or (no mocks) this attempt alone.
        scaled: int | None = readiness.scaled_estimate if readiness else self.scaled_estimate
        if self.ability.available:
            probability, scaled = self.ability.pass_probability, self.ability.scaled_estimate
        return {
            "id": self.attempt_id,
            "template": self.template,
            "title": self.title,
            "kind": self.kind,
            "mode": self.mode,
            "status": self.status,
            "started_at": iso_utc(self.started_at),
            "submitted_at": iso_utc(self.submitted_at),
            "score": self.score.to_dict(),
            "by_domain": lines(self.domains),
            "by_subdomain": lines(self.subdomains),
            "answered": self.answered,
            "unanswered_positions": list(self.unanswered_positions),
            "flagged_positions": list(self.flagged_positions),
            "weak_areas": [line.to_dict() for line in self.outlook.weak_areas],
            "next_drill": self.outlook.next_drill.to_dict() if self.outlook.next_drill else None,
            "verdict": self.verdict.verdict if self.verdict else None,
            "verdict_basis": self.verdict.to_dict() if self.verdict else None,
            "pass_probability": probability,
            "scaled_estimate": scaled,
            "attempt_scaled_estimate": self.scaled_estimate,
            "estimate_label": self.estimate_label,
            # "ability": P(theta above the cut) and the scale from ability; "classical": the
            # pooled percent-correct figures (too little calibration data for ability).
            "estimate_basis": "ability" if self.ability.available else "classical",
            "ability": self.ability.to_dict(),
            "readiness_check": self.readiness_check,
            "outlook": self.outlook.to_dict(),
            "pacing": self.pacing.to_dict() if self.pacing else None,
            "elapsed_seconds": self.elapsed_seconds,
        }


def finished_attempt(
    session: Session, user_id: int, attempt_id: int, *, now: datetime, grace_seconds: int
) -> Attempt:
    """Return the user's attempt, finalized if its time is up; Conflict while in progress."""
    # The template comes in the same query: every results page shows its title.
    attempt = session.scalar(
        select(Attempt)
        .where(Attempt.id == attempt_id, Attempt.user_id == user_id)
        .options(joinedload(Attempt.template))
    )
    if attempt is None:
        raise NotFound(f"attempt {attempt_id} not found")
    attempts.touch(session, attempt, now, grace_seconds)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        raise AttemptInProgress(
            f"attempt {attempt_id} is still in progress: its results open once it is submitted"
        )
    return attempt


def build_scorecard(
    session: Session,
    user_id: int,
    attempt_id: int,
    *,
    now: datetime,
    grace_seconds: int,
    target: float,
) -> Scorecard:
    """Assemble the scorecard of the user's finished attempt (Conflict while in progress)."""
    attempt = finished_attempt(session, user_id, attempt_id, now=now, grace_seconds=grace_seconds)
    template = attempt.template
    blueprint = blueprint_named(template.blueprint)
    result = attempt.result or attempts.grade_attempt(session, attempt)
    assert attempt.submitted_at is not None  # finished attempts always have one
    domains = tuple(
        ScoreLine(code, title_of(blueprint, code), code, score_of(data))
        for code, data in result["by_domain"].items()
    )
    subdomains = tuple(
        ScoreLine(code, title_of(blueprint, code), domain_of(blueprint, code), score_of(data))
        for code, data in result["by_subdomain"].items()
    )
    score = score_of(result["score"])
    answered = int(result["answered"])
    elapsed = max(0.0, (attempt.submitted_at - attempt.started_at).total_seconds())
    pacing = None
    if attempt.deadline_at is not None and score.total:
        pacing = measure_pacing(
            attempt.started_at,
            attempt.submitted_at,
            items=score.total,
            answered=answered,
            deadline=attempt.deadline_at,
        )
        elapsed = pacing.used_seconds
    ability = attempt_ability(session, attempt.id, blueprint)
    pooled = outlook(session, user_id, blueprint, target=target, until=attempt.submitted_at)
    return Scorecard(
        **heading_of(attempt),
        score=score,
        domains=domains,
        subdomains=subdomains,
        answered=answered,
        unanswered_positions=tuple(result["unanswered_positions"]),
        flagged_positions=tuple(result["flagged_positions"]),
        scaled_estimate=to_scaled(score.percent, target=target),
        outlook=pooled,
        pacing=pacing,
        elapsed_seconds=elapsed,
        ability=ability,
        verdict=judge(ability, pooled, answered=answered, items=score.total),
        readiness_check=(
            check_summary(
                session, attempt.id, ability, result.get("stopped"), result.get("decided_on")
            )
            if template.name == calibration.READINESS_TEMPLATE
            else None
        ),
    )


def judge(
    ability: calibration.AttemptAbility, pooled: Outlook, *, answered: int, items: int
) -> ReadinessVerdict | None:
    """Judge readiness on ability when calibrated, else on the pooled mocks (None: no mocks)."""
    if ability.available and ability.pass_probability is not None:
        return ability_verdict(ability.pass_probability, answered, items)
    if pooled.readiness is None:
        return None
    return classical_verdict(
        pooled.standing.correct,
        pooled.standing.total,
        pooled.mocks,
        pass_probability=pooled.readiness.pass_probability,
        target=pooled.target,
    )


def check_summary(
    session: Session,
    attempt_id: int,
    ability: calibration.AttemptAbility,
    recorded: str | None = None,
    decided_on: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A finished readiness check's verdict, why it stopped, the estimate it stopped on and
    the items it used.

    The verdict is the check's own when it recorded the estimate it stopped on (theta against
    the cut, as its stopping rule judged); the ability shown beside it is on the latest
    calibration's scale, which can differ by a few hundredths. Otherwise (a check ended by
    its deadline or the candidate, or made by an older release) it is judged from that ability.
    """
    used = calibration.used_items(session, attempt_id)
    if decided_on is not None and "cut" in decided_on:
        verdict = "likely to pass" if decided_on["theta"] >= decided_on["cut"] else "not yet"
    elif not ability.available or ability.overall is None:
        verdict = "unknown: " + ability.reason
    elif (ability.pass_probability or 0.0) >= 0.5:
        verdict = "likely to pass"
    else:
        verdict = "not yet"
    stopped = STOPPED.get(recorded or "") or _recomputed_stop(ability, len(used))
    return {"verdict": verdict, "stopped": stopped, "decided_on": decided_on, "items": used}


# Why a check stopped, as the check recorded it (calibration.check._record_stop).
STOPPED = {
    "measured": "measured closely enough (SE at most 0.30)",
    "limit": "reached 40 questions",
    "above": "clearly above the pass mark (the 95% interval excludes it)",
    "below": "clearly below the pass mark (the 95% interval excludes it)",
    "pool": "ran out of questions to choose from",
}


def _recomputed_stop(ability: calibration.AttemptAbility, used: int) -> str:
    """Why a check without a recorded reason stopped, judged from its stored ability."""
    overall = ability.overall
    if overall is not None and overall.se <= calibration.SE_TARGET:
        return STOPPED["measured"]
    if used >= calibration.MAX_ITEMS:
        return STOPPED["limit"]
    if (
        overall is not None
        and ability.cut is not None
        and used >= MIN_CLASSIFIED
        and classified(overall.theta, overall.se, ability.cut)
    ):
        return STOPPED["above" if overall.theta > ability.cut else "below"]
    return "submitted before the stopping rule"


def attempt_ability(
    session: Session, attempt_id: int, blueprint: Any
) -> calibration.AttemptAbility:
    """The attempt's ability on the latest calibration's scale (or why there is none)."""
    weights = {domain.code: float(domain.weight) for domain in blueprint.domains}
    scale = calibration.current_scale(session, min_attempts=DEFAULT_MIN_RESPONSES, weights=weights)
    responses = calibration.attempt_responses(session, [attempt_id])[attempt_id]
    return calibration.ability_of(scale, responses)
