"""Cohort invitations: a roster line asks a person to join; only their own yes enrols them.

An invitation is matched to an account by email, so one left for an email without an
account waits until an account with that email signs in. Only the invited account sees,
accepts or declines it; anyone else asking for it gets NotFound.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import CohortRole, InvitationStatus, Role
from exam_engine.models import Cohort, CohortInvitation, Membership
from exam_engine.services import jobs
from exam_engine.services.attempts import load_user
from exam_engine.services.cohorts.access import audit_cohort, changed_meanwhile
from exam_engine.services.email_verification import SITE
from exam_engine.services.errors import Conflict, NotFound
from exam_engine.services.jobs import names
from exam_engine.services.transaction import end_read, transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingInvitation:
    """An invitation as its invitee's dashboard shows it."""

    id: int
    cohort_name: str
    invited_at: datetime


def send_invitation_mails(
    session: Session,
    invitation_ids: Sequence[int],
    *,
    user_id: int | None = None,
    on_each: Callable[[int], None] | None = None,
) -> int:
    """Mail each new invitation to its address (the one place invitation mail is sent).

    Each mail is a job of its own (``mail.send``: in a worker when there is one, retried
    alone when its server fails), enqueued after the roster's commit: an invitation stands
    even when its mail fails (the dashboard shows it after sign-in). The text is the same
    whether or not the address has an account, and holds no link that a forged Host header
    could bend. Returns how many mails were handed to jobs. ``on_each(n)`` hears after each
    one how many are queued so far (a roster job's progress).
    """
    rows = session.execute(
        select(CohortInvitation.email, Cohort.name)
        .join(Cohort, Cohort.id == CohortInvitation.cohort_id)
        .where(CohortInvitation.id.in_(invitation_ids))
        .order_by(CohortInvitation.id)
    ).all()
    end_read(session)
    for queued, (email, cohort_name) in enumerate(rows, 1):
        body = (
            f'You are invited to join the cohort "{cohort_name}" on the {SITE}.\n\n'
            "Sign in with this address (or register an account with it), then accept or "
            "decline the invitation on your dashboard. Nothing happens until you answer.\n\n"
            "If you did not expect this, you can ignore this mail."
        )
        jobs.enqueue(
            session,
            names.SEND_MAIL,
            user_id=user_id,
            to=email,
            subject=f"Invitation to a cohort on the {SITE}",
            body=body,
        )
        if on_each is not None:
            on_each(queued)
    return len(rows)


def pending_for(session: Session, user_id: int) -> list[PendingInvitation]:
    """The user's invitations still waiting for an answer, oldest first (candidates only)."""
    user = load_user(session, user_id)
    if user.role != Role.CANDIDATE:
        return []
    rows = session.execute(
        select(CohortInvitation.id, Cohort.name, CohortInvitation.created_at)
        .join(Cohort, Cohort.id == CohortInvitation.cohort_id)
        .where(
            CohortInvitation.email == user.email,
            CohortInvitation.status == InvitationStatus.PENDING,
            # Joined meanwhile with a join code: nothing left to ask.
            ~exists().where(
                Membership.cohort_id == CohortInvitation.cohort_id,
                Membership.user_id == user.id,
            ),
        )
        .order_by(CohortInvitation.created_at, CohortInvitation.id)
    ).tuples()
    return [PendingInvitation(id_, name, at) for id_, name, at in rows]


def _own_invitation(session: Session, user_id: int, invitation_id: int) -> CohortInvitation:
    """The invitation if it was made out to this user's email, else NotFound."""
    user = load_user(session, user_id)
    invitation = session.get(CohortInvitation, invitation_id)
    if invitation is None or invitation.email != user.email:
        raise NotFound(f"invitation {invitation_id} not found")
    return invitation


def accept_invitation(
    session: Session, user_id: int, invitation_id: int, *, now: datetime
) -> tuple[Cohort, bool]:
    """Join the invitation's cohort as a student; return (cohort, whether newly added).

    Accepting twice changes nothing; a declined invitation cannot be accepted.
    """
    with transaction(session, conflict=changed_meanwhile("the roster")):
        invitation = _own_invitation(session, user_id, invitation_id)
        cohort = invitation.cohort
        if invitation.status == InvitationStatus.ACCEPTED:
            return cohort, False
        if invitation.status == InvitationStatus.DECLINED:
            raise Conflict(
                f"you declined this invitation to {cohort.name}, so it cannot be accepted now; "
                "ask the instructor for a join code if you changed your mind"
            )
        user = load_user(session, user_id)
        if user.role != Role.CANDIDATE:
            raise Conflict("only candidate accounts join cohorts as students")
        member = session.scalar(
            select(Membership).where(
                Membership.cohort_id == cohort.id, Membership.user_id == user.id
            )
        )
        if member is None:
            session.add(Membership(cohort_id=cohort.id, user_id=user.id, role=CohortRole.STUDENT))
        invitation.status = InvitationStatus.ACCEPTED
        invitation.answered_at = now
        audit_cohort(
            session,
            user.id,
            "cohort.invitation_accepted",
            cohort.id,
            f"invitation {invitation.id} accepted",
            invitation_id=invitation.id,
            user_id=user.id,
        )
    if member is None:
        jobs.enqueue(
            session,
            names.PREPARE_FOR_STUDENTS,
            user_id=user_id,
            cohort_id=cohort.id,
            user_ids=[user_id],
        )
    return cohort, member is None


def decline_invitation(
    session: Session, user_id: int, invitation_id: int, *, now: datetime
) -> Cohort:
    """Say no to an invitation (declining twice changes nothing; an accepted one is kept)."""
    with transaction(session):
        invitation = _own_invitation(session, user_id, invitation_id)
        cohort = invitation.cohort
        if invitation.status == InvitationStatus.ACCEPTED:
            raise Conflict(
                f"you already accepted this invitation to {cohort.name}; "
                "ask the instructor to take you off the roster"
            )
        if invitation.status == InvitationStatus.PENDING:
            invitation.status = InvitationStatus.DECLINED
            invitation.answered_at = now
            audit_cohort(
                session,
                user_id,
                "cohort.invitation_declined",
                cohort.id,
                f"invitation {invitation.id} declined",
                invitation_id=invitation.id,
                user_id=user_id,
            )
    return cohort
