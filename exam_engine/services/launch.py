"""Start or resume a template by name: the one entry point the dashboard and the API use.

Most templates assemble a form (``attempts``); the weak-area drill is built from the
candidate's own results (``study``). Choosing here keeps those two modules independent of
each other. One attempt of a template is open at a time, as in Moodle: a second press of
Start, a double click or a client retrying after a lost reply gets the attempt already
running instead of a second form. The user's row lock makes simultaneous requests queue, so
two workers can never both start.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from exam_engine.models import Attempt
from exam_engine.services import attempts, study
from exam_engine.services.calibration import check
from exam_engine.services.transaction import retry_on_race, transaction


def start_or_resume(
    session: Session, user_id: int, template_name: str, *, now: datetime
) -> tuple[Attempt, bool]:
    """Return the user's open attempt of this template (True), or start one (False)."""

    def start() -> tuple[Attempt, bool]:
        with transaction(session, keep_loaded=True):
            attempts.lock_user(session, user_id)
            running = attempts.open_attempt(session, user_id, template_name, now)
            if running is not None:
                return running, True
            if template_name == study.DRILL_TEMPLATE:
                return study.new_weak_area_drill(session, user_id, now=now), False
            if template_name == check.READINESS_TEMPLATE:
                return check.new_check(session, user_id, now=now), False
            return attempts.new_attempt(session, user_id, template_name, now=now), False

    return retry_on_race(start)


def start(
    session: Session, user_id: int, template_name: str, *, now: datetime, seed: int | None = None
) -> Attempt:
    """Start a new attempt of any template, the weak-area drill included (committed)."""
    if template_name == study.DRILL_TEMPLATE:
        return study.start_weak_area_drill(session, user_id, now=now, seed=seed)
    if template_name == check.READINESS_TEMPLATE:
        return check.start_check(session, user_id, now=now, seed=seed)
    return attempts.start_attempt(session, user_id, template_name, now=now, seed=seed)
