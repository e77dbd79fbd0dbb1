"""A candidate's history: finished mocks for the trend (oldest first), other attempts, outlook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from exam_engine.domain.grading import Score
from exam_engine.domain.irt import AbilityEstimate
from exam_engine.domain.item_analysis import DEFAULT_MIN_RESPONSES
from exam_engine.domain.readiness import ESTIMATE_LABEL
from exam_engine.domain.readiness import scaled_estimate as to_scaled
from exam_engine.domain.vocabulary import FINISHED, AttemptKind, Mode
from exam_engine.models import Attempt
from exam_engine.services import calibration
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.scorecards.heading import AttemptHeading, heading_of
from exam_engine.services.scorecards.outlook import Outlook, outlook, score_of


@dataclass(frozen=True)
class HistoryEntry(AttemptHeading):
    """One attempt in the history list."""

    submitted_at: datetime | None
    score: Score | None
    by_domain: dict[str, Score] = field(default_factory=dict)
    # Ability on the latest calibration's scale (finished attempts; None when too thin).
    ability: AbilityEstimate | None = None

    @property
    def scaled_estimate(self) -> int | None:
        """Return this engine's scaled estimate of the score (None when unfinished)."""
        return to_scaled(self.score.percent) if self.score else None


@dataclass(frozen=True)
class History:
    """A candidate's mocks (oldest first), other attempts and current outlook."""

    mocks: tuple[HistoryEntry, ...]
    others: tuple[HistoryEntry, ...]
    domains: tuple[tuple[str, str], ...]
    outlook: Outlook
    # Finished mocks and drills with an ability, oldest first: one scale whatever the form.
    ability_trend: tuple[HistoryEntry, ...] = ()
    estimate_label: str = ESTIMATE_LABEL


def _entry(attempt: Attempt, ability: AbilityEstimate | None = None) -> HistoryEntry:
    """Turn an attempt row into a history entry."""
    result = attempt.result or {}
    return HistoryEntry(
        **heading_of(attempt),
        score=score_of(result["score"]) if "score" in result else None,
        by_domain={code: score_of(data) for code, data in result.get("by_domain", {}).items()},
        ability=ability,
    )


def _abilities(
    session: Session, rows: Sequence[Attempt], weights: dict[str, float]
) -> dict[int, AbilityEstimate]:
    """Each finished attempt's overall ability, where the calibration allows one."""
    scale = calibration.current_scale(session, min_attempts=DEFAULT_MIN_RESPONSES, weights=weights)
    finished = [row.id for row in rows if row.status in FINISHED]
    if scale is None or not finished:
        return {}
    out = {}
    for attempt_id, responses in calibration.attempt_responses(session, finished).items():
        ability = calibration.ability_of(scale, responses)
        if ability.overall is not None:
            out[attempt_id] = ability.overall
    return out


def build_history(session: Session, user_id: int, *, target: float) -> History:
    """Return the user's mocks with a per-domain trend, other attempts, and current outlook."""
    blueprint = bundled_blueprint()
    rows = session.scalars(
        select(Attempt)
        .where(Attempt.user_id == user_id)
        .options(selectinload(Attempt.template))
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    abilities = _abilities(session, rows, {d.code: float(d.weight) for d in blueprint.domains})
    mocks = [
        _entry(row, abilities.get(row.id))
        for row in rows
        if row.kind == AttemptKind.MOCK
        and row.mode == Mode.EXAM
        and row.status in FINISHED
        and row.result
    ]
    mocks.sort(key=lambda e: (e.submitted_at or e.started_at, e.attempt_id))
    in_trend = {m.attempt_id for m in mocks}
    others = [
        _entry(row, abilities.get(row.id)) for row in reversed(rows) if row.id not in in_trend
    ]
    trend = sorted(
        (e for e in [*mocks, *others] if e.ability is not None),
        key=lambda e: (e.submitted_at or e.started_at, e.attempt_id),
    )
    return History(
        mocks=tuple(mocks),
        others=tuple(others),
        ability_trend=tuple(trend),
        domains=tuple((d.code, d.title) for d in blueprint.domains),
        outlook=outlook(session, user_id, blueprint, target=target),
    )
