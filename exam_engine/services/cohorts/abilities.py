"""Cohort abilities on the calibrated scale: per attempt, and pooled per heatmap row.

A row pools the responses of the assigned mocks that count on the heatmap (the first finished
sitting of each), so the ability and the percent in a row come from the same answers. With no
usable calibration (``calibration.current_scale`` gives None) nothing is estimated and the
pages keep the classical figures, saying why (``calibration.THIN_REASON``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from exam_engine.domain.cohort_stats import StudentRow
from exam_engine.domain.irt import pass_probability
from exam_engine.domain.item_analysis import DEFAULT_MIN_RESPONSES
from exam_engine.services import calibration
from exam_engine.services.calibration import AttemptAbility, Scale
from exam_engine.services.catalog import bundled_blueprint


@dataclass(frozen=True)
class CohortAbilities:
    """Abilities by id (a heatmap row's student, or an attempt), or why the classical figures
    stand in."""

    available: bool
    reason: str = ""
    by_id: dict[int, AttemptAbility] = field(default_factory=dict)
    cut: float | None = None
    stale: bool = False

    def of(self, key: int) -> AttemptAbility:
        """Return the ability of ``key`` (unavailable, with the reason, when there is none)."""
        found = self.by_id.get(key)
        if found is not None:
            return found
        reason = self.reason or "no finished mock with calibrated items yet"
        return AttemptAbility(available=False, reason=reason)

    def chance_above_cut(self, key: int, code: str | None = None) -> float | None:
        """P(theta above the cut) overall (``code`` None) or in one domain, None if unknown."""
        ability = self.by_id.get(key)
        if ability is None or self.cut is None or ability.overall is None:
            return None
        estimate = ability.overall if code is None else ability.by_domain.get(code)
        return None if estimate is None else pass_probability(estimate, self.cut)


def cohort_scale(session: Session) -> Scale | None:
    """The latest calibration's scale, or None when it is missing or too thin."""
    weights = {d.code: float(d.weight) for d in bundled_blueprint().domains}
    return calibration.current_scale(session, min_attempts=DEFAULT_MIN_RESPONSES, weights=weights)


def attempt_abilities(session: Session, attempt_ids: Sequence[int]) -> dict[int, AttemptAbility]:
    """Each finished attempt's ability on the latest calibration (empty when too thin)."""
    return sitting_abilities(session, attempt_ids).by_id


def sitting_abilities(session: Session, attempt_ids: Sequence[int]) -> CohortAbilities:
    """Each finished attempt's ability by attempt id, or why there is none."""
    scale = cohort_scale(session)
    if scale is None:
        return CohortAbilities(available=False, reason=calibration.THIN_REASON)
    responses = calibration.attempt_responses(session, attempt_ids) if attempt_ids else {}
    return CohortAbilities(
        available=True,
        by_id={key: calibration.ability_of(scale, found) for key, found in responses.items()},
        cut=scale.cut,
        stale=scale.stale,
    )


def row_abilities(session: Session, rows: Sequence[StudentRow]) -> CohortAbilities:
    """Pool each row's counted attempts into one ability per student, overall and by domain."""
    scale = cohort_scale(session)
    if scale is None:
        return CohortAbilities(available=False, reason=calibration.THIN_REASON)
    ids = [attempt_id for row in rows for attempt_id in row.attempt_ids]
    responses = calibration.attempt_responses(session, ids) if ids else {}
    by_id = {}
    for row in rows:
        pooled = [r for attempt_id in row.attempt_ids for r in responses.get(attempt_id, [])]
        if pooled:
            by_id[row.student.id] = calibration.ability_of(scale, pooled)
    return CohortAbilities(available=True, by_id=by_id, cut=scale.cut, stale=scale.stale)


def sort_by_ability(
    rows: Sequence[StudentRow], abilities: CohortAbilities, key: str, *, descending: bool
) -> list[StudentRow]:
    """Order rows by ability overall (``overall``) or in a domain; rows without one go last."""

    def value(row: StudentRow) -> float | None:
        ability = abilities.by_id.get(row.student.id)
        if ability is None or ability.overall is None:
            return None
        estimate = ability.overall if key == "overall" else ability.by_domain.get(key)
        return None if estimate is None else estimate.theta

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=lambda r: value(r) or 0.0, reverse=descending)
    return present + missing
