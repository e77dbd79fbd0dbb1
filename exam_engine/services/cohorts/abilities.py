"""Cohort abilities on the calibrated scale: per attempt, and pooled per heatmap row.

A row pools the responses of the assigned mocks that count on the heatmap (the first finished
sitting of each), so the ability and the percent in a row come from the same answers. With no
usable calibration (``calibration.current_scale`` gives None) nothing is estimated and the
pages keep the classical figures, saying why (``calibration.THIN_REASON``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from exam_engine.domain.cohort_stats import StudentRow
from exam_engine.domain.irt import pass_probability
from exam_engine.domain.irt.ability import expected_score
from exam_engine.domain.item_analysis import DEFAULT_MIN_RESPONSES
from exam_engine.domain.pooled_ability import GroupedResponses, eap_by_group
from exam_engine.domain.readiness import scaled_estimate
from exam_engine.models import Attempt, AttemptItem, QuestionVersion
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
    """Each finished attempt's ability by attempt id, or why there is none.

    The same estimates as ``calibration.ability_of`` on each attempt's responses, with its
    pass probability and scaled estimate, all attempts in one pass (a cohort's attempts CSV
    has one row per sitting: thousands of EAPs one by one would take seconds).
    """
    scale = cohort_scale(session)
    if scale is None:
        return CohortAbilities(available=False, reason=calibration.THIN_REASON)
    pooled = _pooled_responses(session, list(attempt_ids), scale, by_attempt=True)
    by_id = {} if pooled is None else _grouped_abilities(pooled, scale, scaled=True)
    return CohortAbilities(available=True, by_id=by_id, cut=scale.cut, stale=scale.stale)


def row_abilities(session: Session, rows: Sequence[StudentRow]) -> CohortAbilities:
    """Pool each row's counted attempts into one ability per student, overall and by domain.

    The same estimates as ``calibration.ability_of`` on the pooled responses (items without
    parameters left out, none at all when they are over half), all rows in one pass.
    """
    return pooled_abilities(session, [attempt_id for row in rows for attempt_id in row.attempt_ids])


def pooled_abilities(session: Session, attempt_ids: Sequence[int]) -> CohortAbilities:
    """Pool the attempts into one ability per student (by user id), overall and by domain."""
    scale = cohort_scale(session)
    if scale is None:
        return CohortAbilities(available=False, reason=calibration.THIN_REASON)
    pooled = _pooled_responses(session, list(attempt_ids), scale)
    by_id = {} if pooled is None else _grouped_abilities(pooled, scale, scaled=False)
    return CohortAbilities(available=True, by_id=by_id, cut=scale.cut, stale=scale.stale)


def _grouped_abilities(pooled: _Pooled, scale: Scale, *, scaled: bool) -> dict[int, AttemptAbility]:
    """One ability per group (a user or an attempt), overall and by domain, in one pass."""
    keys = sorted(pooled.shown)
    domains = sorted(scale.weights)
    slot = np.full(max(keys) + 1, -1, dtype=np.int64)
    slot[keys] = np.arange(len(keys))
    # One group overall and one per domain for each key: responses count in both.
    width = 1 + len(domains)
    found = pooled.responses
    base = slot[found.group] * width
    inside = pooled.domain >= 0
    estimates = eap_by_group(
        [scale.params[vid][0] for vid in pooled.versions],
        [scale.params[vid][1] for vid in pooled.versions],
        GroupedResponses(
            item=np.concatenate([found.item, found.item[inside]]),
            correct=np.concatenate([found.correct, found.correct[inside]]),
            group=np.concatenate([base, base[inside] + 1 + pooled.domain[inside]]),
            count=np.concatenate([found.count, found.count[inside]]),
        ),
        len(keys) * width,
        se_a=[scale.errors.get(vid, (0.0, 0.0))[0] for vid in pooled.versions],
        se_b=[scale.errors.get(vid, (0.0, 0.0))[1] for vid in pooled.versions],
    )
    pools = {d: pool for d, pool in scale.domains.items() if d in scale.weights}
    by_id = {}
    for n, key in enumerate(keys):
        overall = estimates[n * width]
        # Under half of the items shown have parameters: too thin, as for one attempt.
        if overall is None or 2 * overall.items < pooled.shown[key]:
            by_id[key] = AttemptAbility(available=False, reason=calibration.THIN_REASON)
            continue
        by_domain = {
            code: estimate
            for d, code in enumerate(domains)
            if (estimate := estimates[n * width + 1 + d]) is not None
        }
        percent = 100.0 * expected_score(overall.theta, pools, scale.weights) if scaled else 0
        by_id[key] = AttemptAbility(
            available=True,
            overall=overall,
            by_domain=by_domain,
            pass_probability=pass_probability(overall, scale.cut),
            scaled_estimate=scaled_estimate(percent) if scaled else None,
            cut=scale.cut,
            model=scale.model,
            stale=scale.stale,
        )
    return by_id


@dataclass(frozen=True)
class _Pooled:
    """Calibrated responses grouped by user (or attempt) id, with what the estimates need."""

    responses: GroupedResponses
    versions: list[int]  # the version of each item index (every calibrated one)
    domain: Any  # each response's domain index in sorted blueprint order, -1 outside it
    shown: dict[int, int]  # items each user (or attempt) was shown, calibrated or not


def _pooled_responses(
    session: Session, attempt_ids: list[int], scale: Scale, *, by_attempt: bool = False
) -> _Pooled | None:
    """The attempts' responses to calibrated items grouped by user (or attempt), or None.

    Counted in SQL by (group, version, right or wrong) and read with Core (no ORM rows): a
    large cohort has hundreds of thousands of responses, and mocks repeat a bank's items.
    """
    if not attempt_ids:
        return None
    items, versions, attempts = (
        AttemptItem.__table__,
        QuestionVersion.__table__,
        Attempt.__table__,
    )
    right = case((items.c.choice == versions.c.answer_index, 1), else_=0)
    group = items.c.attempt_id if by_attempt else attempts.c.user_id
    connection = session.connection()
    counted = connection.execute(
        select(group, items.c.question_version_id, right, func.count())
        .select_from(items)
        .join(versions, versions.c.id == items.c.question_version_id)
        .join(attempts, attempts.c.id == items.c.attempt_id)
        .where(items.c.attempt_id.in_(attempt_ids))
        .group_by(group, items.c.question_version_id, right)
    ).all()
    if not counted:
        return None
    # Columns: user (or attempt) id, version id, right (1) or wrong (0), how many times.
    # fromiter over the flattened rows: np.array(rows) would probe each Row for array hooks.
    flat = chain.from_iterable(counted)
    table = np.fromiter(flat, dtype=np.int64, count=4 * len(counted)).reshape(-1, 4)
    users, per_user = np.unique(table[:, 0], return_inverse=True)
    shown = dict(
        zip(
            users.tolist(),
            np.bincount(per_user, weights=table[:, 3]).astype(int).tolist(),
            strict=True,
        )
    )
    keys = np.array(sorted(scale.params), dtype=np.int64)
    table = table[np.isin(table[:, 1], keys)]
    if not table.size:
        return None
    codes = {code: n for n, code in enumerate(sorted(scale.weights))}
    domain_of = dict(
        connection.execute(
            select(versions.c.id, versions.c.domain).where(
                versions.c.id.in_(np.unique(table[:, 1]).tolist())
            )
        )
        .tuples()
        .all()
    )
    domain_code = np.array([codes.get(domain_of.get(int(vid), ""), -1) for vid in keys])
    item = np.searchsorted(keys, table[:, 1])
    return _Pooled(
        responses=GroupedResponses(
            item=item, correct=table[:, 2] == 1, group=table[:, 0], count=table[:, 3]
        ),
        versions=keys.tolist(),
        domain=domain_code[item],
        shown=shown,
    )


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
