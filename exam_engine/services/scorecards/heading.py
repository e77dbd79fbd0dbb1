"""What every view of an attempt shows first: which attempt, of which template, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exam_engine.models import Attempt


@dataclass(frozen=True)
class AttemptHeading:
    """The heading fields shared by the scorecard and the history list."""

    attempt_id: int
    title: str
    template: str
    kind: str
    mode: str
    status: str
    started_at: datetime


def heading_of(attempt: Attempt) -> dict[str, Any]:
    """The heading's fields (and ``submitted_at``) of an attempt with its template loaded."""
    return {
        "attempt_id": attempt.id,
        "title": attempt.template.title,
        "template": attempt.template.name,
        "kind": attempt.kind,
        "mode": attempt.mode,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "submitted_at": attempt.submitted_at,
    }
