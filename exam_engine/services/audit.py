"""The audit trail: one helper records who did what to which object, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from exam_engine.models import AuditEvent

SUMMARY_MAX = 500


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str | int,
    summary: str,
    *,
    at: datetime | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event (committed with the change it describes); ``actor_id`` None is the CLI."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:SUMMARY_MAX],
        details=dict(details or {}),
    )
    if at is not None:
        event.at = at
    session.add(event)
    return event
