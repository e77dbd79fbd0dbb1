"""A person's own data: everything stored about them as JSON, and deleting their account.

The export goes through the candidate view gate (services/attempt_views.py) and holds no
key, rationale or result of an attempt that is not finished. Deleting an account deletes
its attempts with it (answers, results, the review queue and memberships go too); cohort
statistics and item analysis lose those rows at their next recompute. What stays is an audit
event saying that an account was deleted, with its id and no personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from exam_engine.domain.vocabulary import FINISHED, AttemptKind, Role
from exam_engine.models import (
    Attempt,
    AttemptItem,
    AuditEvent,
    Cohort,
    CohortInvitation,
    ExamTemplate,
    Membership,
    Question,
    Response,
    ReviewCard,
    ReviewLog,
    User,
)
from exam_engine.services import audit, login_sessions
from exam_engine.services.attempt_views import iso, item_view
from exam_engine.services.attempts import load_user, stored_to_choice
from exam_engine.services.errors import Conflict, ValidationFailed
from exam_engine.services.item_stats.staleness import mark_stale
from exam_engine.services.passwords import verify_password
from exam_engine.services.transaction import transaction

DELETED = "[deleted account]"
# Audit events that copied emails into their details before invitations existed.
EMAIL_LISTING_ACTIONS = ("cohort.roster", "cohort.enroll")


def export(session: Session, user_id: int, *, now: datetime) -> dict[str, Any]:
    """Everything stored about the user, as plain JSON values."""
    user = load_user(session, user_id)
    return {
        "exported_at": iso(now),
        "account": _account(user),
        "attempts": _attempts(session, user.id),
        "study": _study(session, user.id),
        "cohorts": _cohorts(session, user.id),
        "invitations": _invitations(session, user.email),
        "audit_events": _audit_events(session, user.id),
    }


def _account(user: User) -> dict[str, Any]:
    # Never the password hash: it is not data about the person, and it helps an attacker.
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "time_multiplier": user.time_multiplier,
        "is_active": user.is_active,
        "must_change_password": user.must_change_password,
        "created_at": iso(user.created_at),
        "last_login_at": iso(user.last_login_at),
    }


def _attempts(session: Session, user_id: int) -> list[dict[str, Any]]:
    attempts = session.scalars(
        select(Attempt)
        .where(Attempt.user_id == user_id)
        .options(
            selectinload(Attempt.template),
            selectinload(Attempt.items).selectinload(AttemptItem.version),
        )
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    saves: dict[int, list[Response]] = {}
    for save in session.scalars(
        select(Response)
        .join(AttemptItem, AttemptItem.id == Response.attempt_item_id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.user_id == user_id)
        .order_by(Response.attempt_item_id, Response.seq)
    ):
        saves.setdefault(save.attempt_item_id, []).append(save)
    return [_attempt(attempt, saves) for attempt in attempts]


def _attempt(attempt: Attempt, saves: dict[int, list[Response]]) -> dict[str, Any]:
    finished = attempt.status in FINISHED
    items = []
    for item in attempt.items:
        view = item_view(attempt, item)
        items.append(
            {
                "position": view.position,
                "stem": view.stem,
                "options": {option.id: option.text for option in view.options},
                "choice": view.choice,
                "flagged": view.flagged,
                "saved_at": iso(item.saved_at),
                "saves": [
                    {
                        "seq": save.seq,
                        "choice": stored_to_choice(item, save.choice),
                        "flagged": save.flagged,
                        "saved_at": iso(save.saved_at),
                    }
                    for save in saves.get(item.id, [])
                ],
                # The key and rationales only once the attempt is over, as on every page.
                "feedback": view.feedback if finished else None,
            }
        )
    return {
        "id": attempt.id,
        "template": attempt.template.name,
        "title": attempt.template.title,
        "mode": attempt.mode,
        "kind": attempt.kind,
        "status": attempt.status,
        "assignment_id": attempt.assignment_id,
        "started_at": iso(attempt.started_at),
        "deadline_at": iso(attempt.deadline_at),
        "submitted_at": iso(attempt.submitted_at),
        "result": attempt.result if finished else None,
        "items": items,
    }


def _study(session: Session, user_id: int) -> dict[str, Any]:
    cards = session.execute(
        select(ReviewCard, Question.key)
        .join(Question, Question.id == ReviewCard.question_id)
        .where(ReviewCard.user_id == user_id)
        .order_by(ReviewCard.id)
    ).tuples()
    cards_list = list(cards)
    logs: dict[int, list[ReviewLog]] = {}
    if cards_list:
        for log in session.scalars(
            select(ReviewLog)
            .where(ReviewLog.card_id.in_([card.id for card, _ in cards_list]))
            .order_by(ReviewLog.reviewed_at, ReviewLog.id)
        ):
            logs.setdefault(log.card_id, []).append(log)
    return {
        "review_cards": [
            {
                "question": key,
                "due_at": iso(card.due_at),
                "state": card.state,
                "created_at": iso(card.created_at),
                "reviews": [
                    {
                        "rating": log.rating,
                        "reviewed_at": iso(log.reviewed_at),
                        "attempt_id": log.attempt_id,
                    }
                    for log in logs.get(card.id, [])
                ],
            }
            for card, key in cards_list
        ]
    }


def _cohorts(session: Session, user_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Membership, Cohort.name)
        .join(Cohort, Cohort.id == Membership.cohort_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.joined_at, Membership.id)
    ).tuples()
    return [
        {
            "cohort_id": membership.cohort_id,
            "cohort": name,
            "role": membership.role,
            "joined_at": iso(membership.joined_at),
            "time_multiplier": membership.time_multiplier,
        }
        for membership, name in rows
    ]


def _invitations(session: Session, email: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(CohortInvitation, Cohort.name)
        .join(Cohort, Cohort.id == CohortInvitation.cohort_id)
        .where(CohortInvitation.email == email)
        .order_by(CohortInvitation.created_at, CohortInvitation.id)
    ).tuples()
    return [
        {
            "id": invitation.id,
            "cohort": name,
            "name_given": invitation.name,
            "status": invitation.status,
            "invited_at": iso(invitation.created_at),
            "answered_at": iso(invitation.answered_at),
        }
        for invitation, name in rows
    ]


# Cohort events done to a student by an instructor: they name the student in their details.
ABOUT_A_STUDENT = ("cohort.remove", "cohort.time_multiplier")


def _audit_events(session: Session, user_id: int) -> list[dict[str, Any]]:
    """Audit events the user did, that were done to their account, or to their enrolment."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.actor_id == user_id,
                (AuditEvent.object_type == "user") & (AuditEvent.object_id == str(user_id)),
                AuditEvent.action.in_(ABOUT_A_STUDENT),
            )
        )
        .order_by(AuditEvent.id)
    )
    return [
        {
            "at": iso(event.at),
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "summary": event.summary,
        }
        for event in events
        if event.action not in ABOUT_A_STUDENT
        or event.actor_id == user_id
        or event.details.get("user_id") == user_id
    ]


def delete_account(session: Session, user_id: int, password: str) -> int:
    """Delete a candidate's own account and everything stored about them; return its id.

    The password proves it is the owner at the keyboard. Staff accounts are not deleted here:
    authored items and cohorts hang on them, so an admin deactivates them instead.
    """
    user = load_user(session, user_id)
    if not verify_password(user.password_hash, password or ""):
        raise ValidationFailed("password: that is not your password; nothing was deleted")
    if user.role != Role.CANDIDATE:
        raise Conflict(
            f"a {user.role} account is not deleted here (cohorts and questions depend on it); "
            "ask an admin to deactivate it"
        )
    with transaction(session):
        # Item analysis counted their finished mocks: its numbers are stale until recomputed.
        counted = session.scalars(
            select(ExamTemplate.name)
            .join(Attempt, Attempt.template_id == ExamTemplate.id)
            .where(
                Attempt.user_id == user.id,
                Attempt.kind == AttemptKind.MOCK,
                Attempt.status.in_(FINISHED),
            )
            .distinct()
        ).all()
        for template_name in counted:
            mark_stale(session, template_name)
        _scrub_audit_trail(session, user.email)
        for invitation in session.scalars(
            select(CohortInvitation).where(CohortInvitation.email == user.email)
        ):
            session.delete(invitation)
        # The database cascades the rest: attempts, answers, review cards, memberships.
        login_sessions.drop_sessions(session, user.id)
        session.delete(user)
        audit.record(
            session,
            None,
            "account.delete",
            "user",
            user_id,
            "an account was deleted at its owner's request, with its attempts",
        )
    return user_id


def _scrub_audit_trail(session: Session, email: str) -> None:
    """Replace the email in older audit events that copied it, keeping what happened."""
    for event in session.scalars(
        select(AuditEvent).where(
            or_(
                AuditEvent.summary.contains(email, autoescape=True),
                AuditEvent.action.in_(EMAIL_LISTING_ACTIONS),
            )
        )
    ):
        event.summary = event.summary.replace(email, DELETED)
        details = dict(event.details)
        for name, value in details.items():
            if isinstance(value, list) and email in value:
                details[name] = [DELETED if entry == email else entry for entry in value]
        event.details = details
