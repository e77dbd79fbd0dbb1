"""Ability of finished attempts on the calibrated scale, and the pass probability it implies.

The latest calibration run (of either model) supplies the parameters and their SEs. An
attempt's ability is EAP over its items that have parameters (unanswered counts as wrong),
overall and per domain, each item through its expected response function so the interval
carries the calibration's uncertainty too. With too little calibration data (no run, a run
over fewer attempts than the minimum, no cut, or under half of the attempt's items
calibrated) the result says so and the scorecard keeps the classical figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.irt import AbilityEstimate, eap, pass_probability
from exam_engine.domain.irt.ability import expected_score
from exam_engine.domain.readiness import scaled_estimate
from exam_engine.models import AttemptItem, CalibrationRun, ItemCalibration, QuestionVersion

THIN_REASON = "too little calibration data: the classical figures are shown instead"


@dataclass(frozen=True)
class Scale:
    """The parameters of the latest calibration, its cut and the per-domain item pools."""

    model: str
    cut: float
    params: dict[int, tuple[float, float]]
    domains: dict[str, tuple[list[float], list[float]]]
    weights: dict[str, float]
    stale: bool
    # (SE of a, SE of b) by version id; a version missing here is taken at face value.
    errors: dict[int, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class AttemptAbility:
    """An attempt's ability overall and by domain, or why there is none."""

    available: bool
    reason: str = ""
    overall: AbilityEstimate | None = None
    by_domain: dict[str, AbilityEstimate] = field(default_factory=dict)
    pass_probability: float | None = None
    scaled_estimate: int | None = None
    cut: float | None = None
    model: str = ""
    stale: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the result's ``ability`` block."""
        if not self.available or self.overall is None:
            return {"available": False, "reason": self.reason}
        return {
            "available": True,
            **self.overall.to_dict(),
            "interval": [round(v, 4) for v in self.overall.interval()],
            "by_domain": {code: est.to_dict() for code, est in self.by_domain.items()},
            "cut": round(self.cut or 0.0, 4),
            "pass_probability": self.pass_probability,
            "scaled_estimate": self.scaled_estimate,
            "model": self.model,
            "stale": self.stale,
        }


def current_scale(
    session: Session, *, min_attempts: int, weights: dict[str, float]
) -> Scale | None:
    """The latest calibration run's scale, or None when it is missing or too thin."""
    run = session.scalar(select(CalibrationRun).order_by(CalibrationRun.computed_at.desc()))
    if run is None or run.attempts < min_attempts or run.values.get("cut") is None:
        return None
    rows = session.execute(
        select(
            ItemCalibration.question_version_id,
            ItemCalibration.discrimination,
            ItemCalibration.difficulty,
            QuestionVersion.domain,
            ItemCalibration.discrimination_se,
            ItemCalibration.difficulty_se,
        )
        .join(QuestionVersion, QuestionVersion.id == ItemCalibration.question_version_id)
        .where(ItemCalibration.model == run.model)
    ).all()
    domains: dict[str, tuple[list[float], list[float]]] = {}
    for _, a, b, domain, _, _ in rows:
        pool = domains.setdefault(domain, ([], []))
        pool[0].append(a)
        pool[1].append(b)
    return Scale(
        model=run.model,
        cut=float(run.values["cut"]),
        params={vid: (a, b) for vid, a, b, *_ in rows},
        errors={vid: (se_a, se_b) for vid, _, _, _, se_a, se_b in rows},
        domains=domains,
        weights=weights,
        stale=run.stale_since is not None,
    )


def ability_of(scale: Scale | None, responses: Sequence[tuple[int, str, bool]]) -> AttemptAbility:
    """The ability from (version id, domain, correct) responses on ``scale``."""
    if scale is None:
        return AttemptAbility(available=False, reason=THIN_REASON)
    usable = [(vid, domain, right) for vid, domain, right in responses if vid in scale.params]
    if not usable or 2 * len(usable) < len(responses):
        return AttemptAbility(available=False, reason=THIN_REASON)
    overall = _estimate(scale, usable)
    by_domain = {
        domain: _estimate(scale, [r for r in usable if r[1] == domain])
        for domain in sorted({r[1] for r in usable})
    }
    pools = {d: pool for d, pool in scale.domains.items() if d in scale.weights}
    percent = 100.0 * expected_score(overall.theta, pools, scale.weights)
    return AttemptAbility(
        available=True,
        overall=overall,
        by_domain=by_domain,
        pass_probability=pass_probability(overall, scale.cut),
        scaled_estimate=scaled_estimate(percent),
        cut=scale.cut,
        model=scale.model,
        stale=scale.stale,
    )


def _estimate(scale: Scale, responses: Iterable[tuple[int, str, bool]]) -> AbilityEstimate:
    chosen = list(responses)
    errors = [scale.errors.get(vid, (0.0, 0.0)) for vid, _, _ in chosen]
    return eap(
        [scale.params[vid][0] for vid, _, _ in chosen],
        [scale.params[vid][1] for vid, _, _ in chosen],
        [right for _, _, right in chosen],
        se_a=[e[0] for e in errors],
        se_b=[e[1] for e in errors],
    )


def attempt_responses(session: Session, attempt_ids: Sequence[int]) -> dict[int, list[Any]]:
    """(version id, domain, correct) of each item of the attempts, by attempt id."""
    rows = session.execute(
        select(
            AttemptItem.attempt_id,
            AttemptItem.question_version_id,
            QuestionVersion.domain,
            AttemptItem.choice,
            QuestionVersion.answer_index,
        )
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(AttemptItem.attempt_id.in_(list(attempt_ids)))
        .order_by(AttemptItem.attempt_id, AttemptItem.position)
    ).all()
    out: dict[int, list[Any]] = {attempt_id: [] for attempt_id in attempt_ids}
    for attempt_id, vid, domain, choice, key in rows:
        out[attempt_id].append((vid, domain, choice is not None and choice == key))
    return out
