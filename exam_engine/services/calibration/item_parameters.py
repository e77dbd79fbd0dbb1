"""One item version's stored calibration under each model, with its run's date and staleness."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.irt.model import MODELS, RASCH
from exam_engine.models import CalibrationRun, ItemCalibration


@dataclass(frozen=True)
class ItemParameters:
    """A version's parameters under one model (None when the run did not calibrate it)."""

    model: str
    computed_at: datetime
    stale_since: datetime | None
    in_use: bool
    difficulty: float | None = None
    difficulty_se: float | None = None
    discrimination: float | None = None
    discrimination_se: float | None = None
    responses: int = 0
    enough_responses: bool = False
    infit: float | None = None
    outfit: float | None = None

    @property
    def calibrated(self) -> bool:
        """Tell whether the run fitted this version (it had first-exposure responses)."""
        return self.difficulty is not None

    @property
    def stale(self) -> bool:
        """Tell whether mocks have finished since the run."""
        return self.stale_since is not None


def item_parameters(
    session: Session, version_id: int, *, min_responses: int
) -> list[ItemParameters]:
    """Each model's run (Rasch first) with this version's parameters where it has them.

    ``in_use`` marks the latest run, the one abilities and the readiness check read.
    """
    runs = {run.model: run for run in session.scalars(select(CalibrationRun))}
    if not runs:
        return []
    latest = max(runs.values(), key=lambda run: run.computed_at).model
    rows = {
        row.model: row
        for row in session.scalars(
            select(ItemCalibration).where(ItemCalibration.question_version_id == version_id)
        )
    }
    out = []
    for model in MODELS:
        run = runs.get(model)
        if run is None:
            continue
        row = rows.get(model)
        found = ItemParameters(
            model=model,
            computed_at=run.computed_at,
            stale_since=run.stale_since,
            in_use=model == latest,
        )
        if row is not None:
            found = replace(
                found,
                difficulty=row.difficulty,
                difficulty_se=row.difficulty_se,
                discrimination=row.discrimination,
                # Rasch fixes a at 1: there is no SE to show for it.
                discrimination_se=row.discrimination_se if model != RASCH else None,
                responses=row.responses,
                enough_responses=row.responses >= min_responses,
                infit=row.infit,
                outfit=row.outfit,
            )
        out.append(found)
    return out
