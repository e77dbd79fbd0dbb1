"""Calibrated IRT item parameters per question version, and each model's last calibration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exam_engine.domain.irt.model import MODELS
from exam_engine.models.base import Base, utcnow

_MODEL_IN = "model IN (" + ", ".join(f"'{m}'" for m in MODELS) + ")"


class ItemCalibration(Base):
    """One version's parameters under one model, from first-exposure mock responses."""

    __tablename__ = "item_calibrations"
    __table_args__ = (
        UniqueConstraint("question_version_id", "model"),
        CheckConstraint(_MODEL_IN, name="model"),
        CheckConstraint("responses >= 0", name="responses"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_version_id: Mapped[int] = mapped_column(
        ForeignKey("question_versions.id", ondelete="CASCADE"), index=True
    )
    model: Mapped[str] = mapped_column(String(10))
    difficulty: Mapped[float]
    difficulty_se: Mapped[float]
    discrimination: Mapped[float]
    discrimination_se: Mapped[float]
    responses: Mapped[int]
    infit: Mapped[float | None]
    outfit: Mapped[float | None]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalibrationRun(Base):
    """The last calibration of a model: what it read, how it went, and whether it is stale."""

    __tablename__ = "calibration_runs"
    __table_args__ = (CheckConstraint(_MODEL_IN, name="model"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(10), unique=True)
    attempts: Mapped[int]
    responses: Mapped[int]
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a mock finishing after the run makes its parameters out of date.
    stale_since: Mapped[datetime | None]
