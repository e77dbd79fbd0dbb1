"""Calibrate item parameters from first-exposure mock responses and store them (one transaction).

Which responses count is item analysis's rule (``item_stats.refresh``): each finished mock
attempt's items, an item counting only in the earliest finished mock of a user that showed
it. Each attempt is one person (ability may change between a user's mocks). Items with no
such response get no row; the selector and ability then use the authored-difficulty prior.
Run by ``flask bank calibrate`` or the item-analysis page's button, never on a page view.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from exam_engine.domain.irt import calibrate, cut_score, prior_b_mean
from exam_engine.domain.irt.model import MODELS, RASCH
from exam_engine.domain.item_analysis import first_exposures
from exam_engine.domain.vocabulary import AttemptKind
from exam_engine.models import CalibrationRun, ItemCalibration, Question, QuestionVersion
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.errors import ValidationFailed
from exam_engine.services.item_stats import load_responses
from exam_engine.services.item_stats.staleness import dialect_insert
from exam_engine.services.progress import Report, ignore
from exam_engine.services.transaction import end_read, transaction

# The pass mark a cut score is set at: 65% expected on a blueprint-weighted form.
CUT_TARGET = 0.65
# A calibration's progress: read, fitted, written.
CALIBRATION_STEPS = 3


@dataclass(frozen=True)
class CalibrationReport:
    """What a calibration read and fitted, and how long it took."""

    model: str
    attempts: int
    responses: int
    items: int
    converged: bool
    iterations: int
    cut: float | None
    load_seconds: float
    fit_seconds: float
    write_seconds: float


def check_model(model: str) -> str:
    """Return the model name, or ValidationFailed naming the known ones."""
    if model not in MODELS:
        raise ValidationFailed(f"model: must be one of {', '.join(MODELS)}, got {model!r}")
    return model


def recalibrate(
    session: Session, *, model: str = RASCH, now: datetime, progress: Report = ignore
) -> CalibrationReport:
    """Fit every item with first-exposure responses and replace the model's rows (commits).

    ``progress`` hears of three steps: read, fitted, written.
    """
    check_model(model)
    started = time.perf_counter()
    progress(0, CALIBRATION_STEPS)
    data = load_responses(session)
    versions = session.execute(
        select(QuestionVersion.id, QuestionVersion.difficulty, QuestionVersion.domain)
    ).all()
    end_read(session)
    progress(1, CALIBRATION_STEPS)
    loaded = time.perf_counter()
    difficulty = {vid: level for vid, level, _ in versions}
    domain_of = {vid: domain for vid, _, domain in versions}
    first = first_exposures(
        data.attempt_user[data.entry_attempt], data.entry_item, data.entry_attempt
    )
    # A missing key (-1) marks every answer wrong; such versions cannot be in a finished form.
    correct = data.entry_choice == data.keys[data.entry_item]
    version_ids = data.version_ids.tolist()
    prior = np.array([prior_b_mean(difficulty.get(v, "")) for v in version_ids])
    fit = calibrate(
        data.entry_attempt[first], data.entry_item[first], correct[first], prior, model=model
    )
    columns = [i for i in range(len(version_ids)) if fit.responses[i] > 0]
    cut = _cut(fit.a, fit.b, [version_ids[i] for i in columns], columns, domain_of)
    fitted = time.perf_counter()
    progress(2, CALIBRATION_STEPS)
    rows = [
        {
            "question_version_id": version_ids[i],
            "model": model,
            "difficulty": float(fit.b[i]),
            "difficulty_se": float(fit.se_b[i]),
            "discrimination": float(fit.a[i]),
            "discrimination_se": float(fit.se_a[i]),
            "responses": int(fit.responses[i]),
            "infit": _finite(fit.infit[i]),
            "outfit": _finite(fit.outfit[i]),
            "computed_at": now,
        }
        for i in columns
    ]
    values = {
        "persons": fit.persons,
        "iterations": fit.iterations,
        "converged": fit.converged,
        "log_likelihood": fit.log_likelihood,
        "cut": cut,
        "cut_target": CUT_TARGET,
    }
    with transaction(session):
        session.execute(delete(ItemCalibration).where(ItemCalibration.model == model))
        if rows:
            session.execute(insert(ItemCalibration), rows)
        statement = dialect_insert(session)(CalibrationRun).values(
            model=model,
            attempts=int(data.attempt_ids.size),
            responses=int(first.sum()),
            values=values,
            computed_at=now,
            stale_since=None,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["model"],
                set_={
                    "attempts": statement.excluded.attempts,
                    "responses": statement.excluded.responses,
                    "values": statement.excluded["values"],
                    "computed_at": statement.excluded.computed_at,
                    "stale_since": None,
                },
            )
        )
    return CalibrationReport(
        model=model,
        attempts=int(data.attempt_ids.size),
        responses=int(first.sum()),
        items=len(rows),
        converged=fit.converged,
        iterations=fit.iterations,
        cut=cut,
        load_seconds=loaded - started,
        fit_seconds=fitted - loaded,
        write_seconds=time.perf_counter() - fitted,
    )


def _finite(value: Any) -> float | None:
    return float(value) if np.isfinite(value) else None


def _cut(
    a: Any, b: Any, version_ids: list[int], columns: list[int], domain_of: dict[int, str]
) -> float | None:
    """The blueprint cut over the calibrated items, or None when a domain has none."""
    blueprint = bundled_blueprint()
    weights = {d.code: float(d.weight) for d in blueprint.domains}
    grouped: dict[str, tuple[list[float], list[float]]] = {d: ([], []) for d in weights}
    for vid, column in zip(version_ids, columns, strict=True):
        domain = domain_of.get(vid)
        if domain in grouped:
            grouped[domain][0].append(float(a[column]))
            grouped[domain][1].append(float(b[column]))
    if any(not pair[0] for pair in grouped.values()):
        return None
    try:
        return cut_score(grouped, weights, CUT_TARGET)
    except ValueError:
        return None


def mark_stale(session: Session, *, now: datetime, kind: str) -> None:
    """Record, without committing, that a finished mock made every calibration out of date."""
    if kind != AttemptKind.MOCK:
        return
    # Only runs not yet stale are written: after the first mock, finishing takes no row lock.
    session.execute(
        update(CalibrationRun).where(CalibrationRun.stale_since.is_(None)).values(stale_since=now)
    )


def calibration_listing(session: Session, *, model: str, min_responses: int) -> dict[str, Any]:
    """The model's run and every calibrated version's parameters, JSON-ready."""
    check_model(model)
    run = session.scalar(select(CalibrationRun).where(CalibrationRun.model == model))
    rows = session.execute(
        select(ItemCalibration, Question.key, QuestionVersion.number, QuestionVersion.difficulty)
        .join(QuestionVersion, QuestionVersion.id == ItemCalibration.question_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(ItemCalibration.model == model)
        .order_by(Question.key, QuestionVersion.number)
    ).all()
    return {
        "model": model,
        "computed_at": run.computed_at.isoformat() if run else None,
        "stale": bool(run and run.stale_since),
        "attempts": run.attempts if run else 0,
        "responses": run.responses if run else 0,
        "min_responses": min_responses,
        "run": dict(run.values) if run else {},
        "items": [
            {
                "key": key,
                "version": number,
                "version_id": row.question_version_id,
                "authored_difficulty": authored,
                "difficulty": row.difficulty,
                "difficulty_se": row.difficulty_se,
                "discrimination": row.discrimination,
                "discrimination_se": row.discrimination_se if model != RASCH else None,
                "responses": row.responses,
                "enough_responses": row.responses >= min_responses,
                "infit": row.infit,
                "outfit": row.outfit,
            }
            for row, key, number, authored in rows
        ],
    }
