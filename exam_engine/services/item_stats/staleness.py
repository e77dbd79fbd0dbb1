"""Settings and the marks a finished mock leaves: stale statistics and a packed response record.

``finalize`` calls ``mark_stale`` and ``record_responses`` in its grading transaction, so the
page can say the numbers are out of date until the next recompute.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from exam_engine.domain.item_analysis import DEFAULT_MIN_RESPONSES, Thresholds
from exam_engine.domain.vocabulary import AttemptKind
from exam_engine.models import TemplateStatistic, utcnow
from exam_engine.services import response_records
from exam_engine.services.errors import ValidationFailed

SETTING = "ITEM_STATS_MIN_RESPONSES"


def min_responses_setting(config: Mapping[str, Any]) -> int:
    """Read ITEM_STATS_MIN_RESPONSES (default 30) from the app config; a bad value is named."""
    raw = config.get(SETTING, DEFAULT_MIN_RESPONSES)
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None or value < 1:
        raise ValidationFailed(f"{SETTING}: must be a whole number >= 1, got {raw!r}")
    return value


def thresholds_for(min_responses: int) -> Thresholds:
    """The flag thresholds for a minimum response count, or ValidationFailed."""
    try:
        return Thresholds(min_responses=min_responses)
    except ValueError as error:
        raise ValidationFailed(f"min_responses: {error}") from None


def dialect_insert(session: Session) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def mark_stale(
    session: Session,
    template_name: str,
    *,
    now: datetime | None = None,
    kind: str = AttemptKind.MOCK,
) -> None:
    """Record, without committing, that a finished attempt made a template's numbers stale.

    ``stale_since`` keeps the first such time since the last recompute. Only mock attempts
    count, so drills and reviews leave the statistics alone.
    """
    if kind != AttemptKind.MOCK:
        return
    moment = now or utcnow()
    statement = (
        dialect_insert(session)(TemplateStatistic)
        .values(
            template=template_name, attempts=0, values={}, computed_at=moment, stale_since=moment
        )
        .on_conflict_do_update(
            index_elements=["template"],
            set_={"stale_since": func.coalesce(TemplateStatistic.stale_since, moment)},
        )
    )
    session.execute(statement)


def record_responses(session: Session, attempt_id: int, *, kind: str = AttemptKind.MOCK) -> None:
    """Store, without committing, the packed record a recompute reads (mock attempts only).

    Called by ``finalize`` once the attempt is graded, so the record holds its final answers.
    """
    if kind == AttemptKind.MOCK:
        response_records.record_attempt(session, attempt_id)
