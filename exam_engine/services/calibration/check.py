"""The adaptive readiness check: one item at a time, most informative at the current estimate.

An attempt of the hidden ``readiness-check`` template (kind "drill", mode "exam": no feedback
until it is finished, and untimed). It starts with one item; ``advance`` adds the next once
the last is answered, chosen by ``domain.irt.adaptive`` with the latest calibration's
parameters (the authored-difficulty prior for an item without them), and finishes the attempt
when the SE reaches 0.30, when after ten items the 95% interval lies wholly above or below
the latest run's cut (``adaptive.stop_reason``), or when 40 items were given. Items of the
user's unfinished mock and enemies of items already given are never chosen.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.domain.assembly import FormItem, place
from exam_engine.domain.assembly import PoolItem as BankItem
from exam_engine.domain.irt import (
    AbilityEstimate,
    PoolItem,
    eap,
    prior_b_mean,
    select_next,
    stop_reason,
)
from exam_engine.domain.irt.adaptive import SE_TARGET
from exam_engine.domain.irt.model import PRIOR_B_SD, PRIOR_LOG_A_SD
from exam_engine.domain.irt.shrinkage import shrink_discrimination
from exam_engine.domain.vocabulary import AttemptKind, AttemptStatus, Mode
from exam_engine.models import (
    Attempt,
    AttemptItem,
    CalibrationRun,
    ExamTemplate,
    ItemCalibration,
    Question,
    QuestionVersion,
)
from exam_engine.services import attempts
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.errors import Conflict, NotFound
from exam_engine.services.pool import published_bank, published_pool
from exam_engine.services.transaction import retry_on_race, transaction

READINESS_TEMPLATE = "readiness-check"
MAX_ITEMS = 40
# An item's (a, b, SE of a, SE of b).
Params = tuple[float, float, float, float]
# An uncalibrated item's parameters are the prior's: a = 1 within its SD, b at the authored
# difficulty's mean within the SD the priors give it (model.PRIOR_LOG_A_SD, model.PRIOR_B_SD).


@dataclass(frozen=True)
class Step:
    """Where a check is after ``advance``: the position to answer next, or done."""

    attempt_id: int
    done: bool
    position: int | None


def used_items(session: Session, attempt_id: int) -> list[dict[str, Any]]:
    """The items a finished check gave, in order, with whether each was answered right."""
    rows = session.execute(
        select(
            AttemptItem.position,
            Question.key,
            QuestionVersion.domain,
            AttemptItem.choice,
            QuestionVersion.answer_index,
        )
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(AttemptItem.position)
    )
    return [
        {"position": p, "key": key, "domain": domain, "correct": choice == answer}
        for p, key, domain, choice, answer in rows
    ]


CHECK_TITLE = "Readiness check"
CHECK_DESCRIPTION = (
    "Adaptive: each question is chosen for what your answers so far show; it stops "
    "when your ability is measured to within 0.30, when it is clearly above or "
    "below the pass mark, or after 40 questions. "
    "Results at the end."
)


def ensure_template(session: Session) -> ExamTemplate:
    """Return the hidden readiness-check template row, creating it if missing (flushed)."""
    row = session.scalar(select(ExamTemplate).where(ExamTemplate.name == READINESS_TEMPLATE))
    if row is not None:
        # A row made by an older release keeps its words otherwise (the stopping rule grew).
        if (row.title, row.description) != (CHECK_TITLE, CHECK_DESCRIPTION):
            row.title, row.description = CHECK_TITLE, CHECK_DESCRIPTION
            session.flush()
        return row
    row = ExamTemplate(
        name=READINESS_TEMPLATE,
        title=CHECK_TITLE,
        description=CHECK_DESCRIPTION,
        blueprint=bundled_blueprint().name,
        item_count=MAX_ITEMS,
        minutes=MAX_ITEMS * 2,
        mode=Mode.EXAM,
        is_active=False,
    )
    session.add(row)
    session.flush()
    return row


def _parameters(session: Session) -> dict[int, Params]:
    """(a, b, SE of a, SE of b) of each calibrated version under the latest run's model.

    The discriminations are shrunk toward the bank's spread (``shrink_discrimination``) so
    the selector does not favour the items whose a was over-estimated.
    """
    model = session.scalar(
        select(CalibrationRun.model).order_by(CalibrationRun.computed_at.desc()).limit(1)
    )
    if model is None:
        return {}
    rows = session.execute(
        select(
            ItemCalibration.question_version_id,
            ItemCalibration.discrimination,
            ItemCalibration.difficulty,
            ItemCalibration.discrimination_se,
            ItemCalibration.difficulty_se,
        ).where(ItemCalibration.model == model)
    ).all()
    if not rows:
        return {}
    shrunk, shrunk_se = shrink_discrimination([row[1] for row in rows], [row[3] for row in rows])
    return {
        vid: (float(shrunk[i]), b, float(shrunk_se[i]), se_b)
        for i, (vid, _, b, _, se_b) in enumerate(rows)
    }


def _cut(session: Session) -> float | None:
    """The latest calibration run's cut, or None (then only the SE and the limit stop)."""
    values = session.scalar(
        select(CalibrationRun.values).order_by(CalibrationRun.computed_at.desc()).limit(1)
    )
    cut = (values or {}).get("cut")
    return None if cut is None else float(cut)


def _exposure(session: Session, template_id: int) -> dict[int, float]:
    """Share of earlier checks that used each version."""
    total = session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.template_id == template_id)
    )
    if not total:
        return {}
    rows = session.execute(
        select(AttemptItem.question_version_id, func.count())
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.template_id == template_id)
        .group_by(AttemptItem.question_version_id)
    )
    return {vid: count / total for vid, count in rows}


def _blocked_questions(session: Session, user_id: int) -> set[int]:
    """Questions of the user's unfinished mocks: practice never shows them."""
    rows = session.scalars(
        select(AttemptItem.question_id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(
            Attempt.user_id == user_id,
            Attempt.kind == AttemptKind.MOCK,
            Attempt.status == AttemptStatus.IN_PROGRESS,
        )
    )
    return set(rows)


def _choose(session: Session, attempt: Attempt, given: list[AttemptItem]) -> FormItem | None:
    """The next item for the check, or None when nothing eligible is left."""
    bank = published_bank(session)
    params = _parameters(session)
    pool = published_pool(session)
    blocked = _blocked_questions(session, attempt.user_id)
    given_versions = {item.question_version_id for item in given}
    given_keys = {item.key for item in pool if item.version_id in given_versions}
    # Enmity counts both ways: an item naming a given one, or named by one.
    named = set().union(*(item.enemies for item in pool if item.key in given_keys))
    eligible = [
        item
        for item in pool
        if bank.question_of[item.version_id] not in blocked
        and not (item.enemies & given_keys)
        and item.key not in named
    ]
    of_version = {item.version_id: item for item in pool}
    choices = [
        PoolItem(item.version_id, item.domain, *_params_of(item.version_id, params, of_version))
        for item in eligible
    ]
    theta = _estimate(given, params, of_version).theta
    counts: dict[str, int] = {}
    for item in given:
        domain = item.version.domain
        counts[domain] = counts.get(domain, 0) + 1
    weights = {d.code: float(d.weight) for d in bundled_blueprint().domains}
    rng = random.Random(attempt.seed * 1000 + len(given))
    chosen = select_next(
        choices,
        theta=theta,
        administered=given_versions,
        counts=counts,
        weights=weights,
        rng=rng,
        exposure=_exposure(session, attempt.template_id),
    )
    if chosen is None:
        return None
    return place(of_version[chosen.version_id], len(given) + 1, rng, 4)


def _params_of(
    version_id: int, params: dict[int, Params], of_version: dict[int, BankItem]
) -> Params:
    """Calibrated (a, b) with SEs, else the prior: a = 1 and b from the authored difficulty."""
    if version_id in params:
        return params[version_id]
    source = of_version.get(version_id)
    b = prior_b_mean(source.difficulty) if source else 0.0
    # The calibration's prior is on a b: at a = 1, b = (a b) / a has SD (1 + b^2 0.5^2)^0.5,
    # what the calibration reports for an item nobody has answered.
    return (1.0, b, PRIOR_LOG_A_SD, math.hypot(PRIOR_B_SD, b * PRIOR_LOG_A_SD))


def _estimate(
    given: list[AttemptItem], params: dict[int, Params], of_version: dict[int, BankItem]
) -> AbilityEstimate:
    """EAP of the answers so far with the selector's parameters and their SEs."""
    rows = [_params_of(item.question_version_id, params, of_version) for item in given]
    return eap(
        [row[0] for row in rows],
        [row[1] for row in rows],
        [item.choice is not None and item.choice == item.version.answer_index for item in given],
        se_a=[row[2] for row in rows],
        se_b=[row[3] for row in rows],
    )


def start_check(
    session: Session, user_id: int, *, now: datetime, seed: int | None = None
) -> Attempt:
    """Start a readiness check with its first item (committed)."""

    def start() -> Attempt:
        with transaction(session, keep_loaded=True):
            attempts.lock_user(session, user_id)
            return new_check(session, user_id, now=now, seed=seed)

    return retry_on_race(start)


def new_check(session: Session, user_id: int, *, now: datetime, seed: int | None = None) -> Attempt:
    """Add a readiness check and its first item, in the caller's transaction."""
    template = ensure_template(session)
    attempt = Attempt(
        user_id=user_id,
        template_id=template.id,
        seed=random.SystemRandom().randrange(2**31) if seed is None else seed,
        mode=Mode.EXAM,
        kind=AttemptKind.DRILL,
        status=AttemptStatus.IN_PROGRESS,
        started_at=now,
        deadline_at=None,
    )
    first = _choose(session, attempt, [])
    if first is None:
        raise Conflict(f"template {READINESS_TEMPLATE!r}: no published items to choose from")
    return attempts.add_form(session, attempt, [first], published_bank(session).question_of)


def advance(
    session: Session, user_id: int, attempt_id: int, *, now: datetime, grace_seconds: int
) -> Step:
    """Give the next item once the last is answered, or finish the check (committed).

    The item given last and still unanswered is the next item (asking twice adds nothing).
    """
    with transaction(session):
        attempt = session.scalar(
            select(Attempt)
            .where(Attempt.id == attempt_id, Attempt.user_id == user_id)
            .with_for_update()
        )
        if attempt is None or attempt.template.name != READINESS_TEMPLATE:
            raise NotFound(f"readiness check {attempt_id} not found")
        if attempt.status != AttemptStatus.IN_PROGRESS:
            return Step(attempt_id, True, None)
        given = list(attempt.items)
        if given and given[-1].choice is None:
            return Step(attempt_id, False, given[-1].position)
        params = _parameters(session)
        of_version = {item.version_id: item for item in published_pool(session)}
        estimate = _estimate(given, params, of_version)
        reason = stop_reason(
            estimate.se,
            len(given),
            se_target=SE_TARGET,
            max_items=MAX_ITEMS,
            theta=estimate.theta,
            cut=_cut(session),
        )
        following = None if reason is not None else _choose(session, attempt, given)
        if following is not None:
            attempts.add_items(session, attempt, [following], published_bank(session).question_of)
            return Step(attempt_id, False, following.position)
    attempts.submit_attempt(session, user_id, attempt_id, now=now, grace_seconds=grace_seconds)
    _record_stop(session, attempt_id, reason or "pool", estimate, _cut(session))
    return Step(attempt_id, True, None)


def _record_stop(
    session: Session, attempt_id: int, reason: str, estimate: AbilityEstimate, cut: float | None
) -> None:
    """Keep why the check stopped, and the estimate it stopped on, with its result (committed).

    The result page cannot recompute them: the check decided on its own estimate (shrunk
    discriminations) and a later recalibration moves both. A crash before this commit
    leaves neither, and the page then judges from the stored ability alone.
    """
    decided = {"theta": round(float(estimate.theta), 4), "se": round(float(estimate.se), 4)}
    if cut is not None:
        decided["cut"] = round(cut, 4)
    with transaction(session):
        attempt = session.get(Attempt, attempt_id)
        if attempt is not None and attempt.result is not None:
            attempt.result = {**attempt.result, "stopped": reason, "decided_on": decided}
