"""Join codes: an instructor hands out a short code; a candidate joins the cohort with it."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import CohortRole, Role
from exam_engine.models import Cohort, Membership
from exam_engine.services import jobs
from exam_engine.services.attempts import load_user
from exam_engine.services.cohorts.access import audit_cohort, changed_meanwhile
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from exam_engine.services.jobs import names
from exam_engine.services.transaction import transaction

JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud
JOIN_CODE_LENGTH = 10
JOIN_DAYS_DEFAULT = 14
JOIN_DAYS_MAX = 90


def normalize_code(code: str) -> str:
    """Return a join code as stored: upper case, spaces and dashes dropped."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t")


def new_join_code(
    session: Session, user_id: int, cohort: Cohort, *, now: datetime, days: int
) -> str:
    """Give the cohort a fresh join code valid for ``days`` days (the old code stops working)."""
    if not 1 <= days <= JOIN_DAYS_MAX:
        raise ValidationFailed(f"days: the code may last 1 to {JOIN_DAYS_MAX} days")
    with transaction(session, conflict=changed_meanwhile("the join code")):
        for _ in range(5):
            code = "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
            taken = session.scalar(select(exists().where(Cohort.join_code == code)))
            if not taken:
                break
        else:  # pragma: no cover - 32**10 codes make five collisions in a row unthinkable
            raise Conflict("could not find a free join code; try again")
        cohort.join_code = code
        cohort.join_code_expires_at = now + timedelta(days=days)
        audit_cohort(
            session, user_id, "cohort.join_code", cohort.id, f"new join code for {days} days"
        )
    return code


def revoke_join_code(session: Session, user_id: int, cohort: Cohort) -> None:
    """Stop the cohort's join code from working."""
    with transaction(session):
        cohort.join_code = None
        cohort.join_code_expires_at = None
        audit_cohort(session, user_id, "cohort.join_code_revoked", cohort.id, "join code revoked")


def cohort_for_code(session: Session, code: str, *, now: datetime) -> Cohort:
    """Return the cohort a join code opens; NotFound if unknown, Conflict once expired."""
    normalized = normalize_code(code)
    if not normalized:
        raise ValidationFailed("code: enter the join code your instructor gave you")
    cohort = session.scalar(select(Cohort).where(Cohort.join_code == normalized))
    if cohort is None:
        raise NotFound(f"no cohort has the join code {normalized!r}: check it for typos")
    expires = cohort.join_code_expires_at
    if expires is not None and now >= expires:
        raise Conflict(
            f"the join code {normalized} expired on {expires:%Y-%m-%d %H:%M} UTC: "
            "ask your instructor for a new one"
        )
    return cohort


def join_by_code(
    session: Session, user_id: int, code: str, *, now: datetime
) -> tuple[Cohort, bool]:
    """Add the user to the code's cohort as a student; return (cohort, whether newly added)."""
    user = load_user(session, user_id)
    cohort = cohort_for_code(session, code, now=now)
    existing = session.scalar(
        select(Membership).where(Membership.cohort_id == cohort.id, Membership.user_id == user.id)
    )
    if existing is not None:
        if existing.role != CohortRole.STUDENT:
            raise Conflict(f"you already teach {cohort.name}")
        return cohort, False
    if user.role != Role.CANDIDATE:
        raise Conflict(
            f"only candidate accounts join cohorts as students; {user.email} is {user.role}"
        )
    with transaction(session, conflict=changed_meanwhile("the roster")):
        session.add(Membership(cohort_id=cohort.id, user_id=user.id, role=CohortRole.STUDENT))
        audit_cohort(session, user.id, "cohort.join", cohort.id, f"{user.email} joined by code")
    jobs.enqueue(
        session,
        names.PREPARE_FOR_STUDENTS,
        user_id=user_id,
        cohort_id=cohort.id,
        user_ids=[user_id],
    )
    return cohort, True
