"""Rosters: a CSV of students invited all or nothing, and the operator's direct enrolment."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import CohortRole, InvitationStatus, Role, values
from exam_engine.models import Cohort, CohortInvitation, Membership, User
from exam_engine.services import accounts, jobs
from exam_engine.services.cohorts.access import NAME_MAX, audit_cohort, changed_meanwhile
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from exam_engine.services.jobs import names
from exam_engine.services.transaction import transaction

# The most students one upload may list (a large one runs as a job: roster_jobs.py).
ROSTER_MAX_ROWS = 2000


class RosterRejected(ValidationFailed):
    """The roster has bad rows; nothing was added. ``problems`` are ``line N: reason``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(
            f"roster not imported ({count} problem{'s' if count != 1 else ''}; nothing was "
            "added): " + "; ".join(self.problems)
        )


@dataclass(frozen=True)
class RosterRow:
    """One parsed roster line."""

    line: int
    email: str
    name: str


@dataclass
class RosterReport:
    """What a roster upload did: whom it invited and whom it left as they were."""

    invited: list[RosterRow] = field(default_factory=list)
    already_member: list[RosterRow] = field(default_factory=list)
    already_invited: list[RosterRow] = field(default_factory=list)
    declined: list[RosterRow] = field(default_factory=list)
    # The new invitations, for send_invitation_mails once the upload has committed.
    invitation_ids: list[int] = field(default_factory=list)


def decode_upload(data: bytes) -> str:
    """Decode an uploaded roster as UTF-8 (a byte-order mark is allowed)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            f"file: not UTF-8 text (byte {error.start + 1}); save the roster as CSV UTF-8"
        ) from None


def parse_roster(text: str) -> list[RosterRow]:
    """Parse ``email,name`` lines (an ``email,name`` header is optional), or raise with every
    bad line."""
    problems: list[str] = []
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    columns: tuple[int, int | None] = (0, 1)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    first = True
    try:
        for record in reader:
            line = reader.line_num
            # Whitespace inside a cell (a quoted line break, say) collapses to one space.
            cells = [" ".join(cell.split()) for cell in record]
            if not any(cells):
                continue
            if first:
                first = False
                header = [cell.lower() for cell in cells]
                if "email" in header:
                    unknown = [h for h in header if h not in ("email", "name", "")]
                    if unknown:
                        problems.append(
                            f"line {line}: unknown column {unknown[0]!r} "
                            "(the header may name only email and name)"
                        )
                    columns = (
                        header.index("email"),
                        header.index("name") if "name" in header else None,
                    )
                    continue
            width = max(columns[0], columns[1] or 0) + 1
            if len([c for c in cells if c]) > 2 or (len(cells) > width and any(cells[width:])):
                problems.append(f"line {line}: expected 2 columns (email, name), got {len(cells)}")
                continue
            raw_email = cells[columns[0]] if columns[0] < len(cells) else ""
            name_index = columns[1]
            name = cells[name_index] if name_index is not None and name_index < len(cells) else ""
            if not raw_email:
                problems.append(f"line {line}: the email is missing")
                continue
            try:
                email = accounts.normalize_email(raw_email)
            except ValidationFailed:
                problems.append(f"line {line}: {raw_email!r} is not a valid email address")
                continue
            if len(name) > NAME_MAX:
                problems.append(f"line {line}: the name is longer than {NAME_MAX} characters")
                continue
            if email in seen:
                problems.append(f"line {line}: {email} is already on line {seen[email]}")
                continue
            seen[email] = line
            rows.append(RosterRow(line, email, name))
    except csv.Error as error:
        problems.append(f"line {reader.line_num}: unreadable CSV ({error})")
    if not rows and not problems:
        problems.append("line 1: the roster is empty; give one student a line: email,name")
    if len(rows) > ROSTER_MAX_ROWS:
        problems.append(
            f"line {rows[ROSTER_MAX_ROWS].line}: at most {ROSTER_MAX_ROWS} students per upload"
        )
    if problems:
        raise RosterRejected(problems)
    return rows


def upload_roster(
    session: Session, user_id: int, cohort: Cohort, text: str, *, now: datetime
) -> RosterReport:
    """Invite every roster row to the cohort; nobody is enrolled until they accept.

    All or nothing: a badly formed row rejects the whole upload with every problem listed.
    Every new email gets the same outcome, an invitation, whether or not it has an account
    and whatever that account's role: the report never tells the instructor anything about
    someone else's account. Only a candidate account can accept.
    """
    return invite_rows(session, user_id, cohort, parse_roster(text), now=now)


def invite_rows(
    session: Session, user_id: int, cohort: Cohort, rows: list[RosterRow], *, now: datetime
) -> RosterReport:
    """Invite parsed roster rows in one transaction (all or nothing); see upload_roster."""
    with transaction(session, conflict=changed_meanwhile("the roster")):
        report, new_ids = _invite_rows(session, user_id, cohort, rows, now)
    report.invitation_ids = list(new_ids)
    return report


def _invite_rows(
    session: Session, user_id: int, cohort: Cohort, rows: list[RosterRow], now: datetime
) -> tuple[RosterReport, list[int]]:
    emails = [row.email for row in rows]
    members = set(
        session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.cohort_id == cohort.id, User.email.in_(emails))
        )
    )
    invitations = {
        invitation.email: invitation
        for invitation in session.scalars(
            select(CohortInvitation).where(
                CohortInvitation.cohort_id == cohort.id, CohortInvitation.email.in_(emails)
            )
        )
    }
    report = RosterReport()
    added: list[CohortInvitation] = []
    for row in rows:
        earlier = invitations.get(row.email)
        if row.email in members:
            report.already_member.append(row)
        elif earlier is None:
            invitation = CohortInvitation(
                cohort_id=cohort.id,
                email=row.email,
                name=row.name,
                invited_by_id=user_id,
                created_at=now,
            )
            session.add(invitation)
            added.append(invitation)
            report.invited.append(row)
        elif earlier.status == InvitationStatus.DECLINED:
            report.declined.append(row)
        else:
            # Accepted and then taken off the roster, or still waiting: ask again.
            earlier.status = InvitationStatus.PENDING
            earlier.answered_at = None
            report.already_invited.append(row)
    session.flush()
    # Counts and ids only: the emails stay in the invitations, not copied into the audit trail.
    audit_cohort(
        session,
        user_id,
        "cohort.roster",
        cohort.id,
        f"roster upload: {len(report.invited)} invited, {len(report.already_invited)} "
        f"already invited, {len(report.already_member)} already in the cohort, "
        f"{len(report.declined)} declined earlier",
        invitation_ids=[invitation.id for invitation in added],
    )
    return report, [invitation.id for invitation in added]


def enroll(
    session: Session, cohort_id: int, emails: Iterable[str], *, role: str = CohortRole.STUDENT
) -> list[str]:
    """Enrol existing accounts by email (all or nothing); return the emails newly enrolled.

    The server operator's command (``flask cohort enroll``): it enrols at once, without an
    invitation, since whoever runs it already holds the whole database.
    """
    if role not in values(CohortRole):
        raise ValidationFailed(f"role: {role!r} is not student or instructor")
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"cohort {cohort_id} not found")
    problems: list[str] = []
    wanted: list[str] = []
    for raw in emails:
        try:
            email = accounts.normalize_email(raw)
        except ValidationFailed as error:
            problems.append(str(error))
            continue
        if email not in wanted:
            wanted.append(email)
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(wanted)))}
    for email in wanted:
        user = users.get(email)
        if user is None:
            problems.append(f"email: no account for {email} (create it with `flask users create`)")
        elif role == CohortRole.STUDENT and user.role != Role.CANDIDATE:
            problems.append(f"email: {email} is an {user.role} account, not a candidate")
        elif role == CohortRole.INSTRUCTOR and not user.has_role(Role.INSTRUCTOR):
            problems.append(f"email: {email} is a candidate account, not an instructor")
    if problems:
        raise ValidationFailed("nothing enrolled: " + "; ".join(problems))
    with transaction(session, conflict=changed_meanwhile("the roster")):
        current = dict(
            list(
                session.execute(
                    select(Membership.user_id, Membership.role).where(
                        Membership.cohort_id == cohort_id
                    )
                ).tuples()
            )
        )
        added: list[str] = []
        for email in wanted:
            user = users[email]
            if user.id in current:
                if current[user.id] != role:
                    raise Conflict(f"{email} is already a {current[user.id]} of cohort {cohort_id}")
                continue
            session.add(Membership(cohort_id=cohort_id, user_id=user.id, role=role))
            added.append(email)
        audit_cohort(
            session,
            None,
            "cohort.enroll",
            cohort_id,
            f"enrolled {len(added)} as {role}",
            added=added,
        )
    if role == CohortRole.STUDENT and added:
        enrolled = [users[email].id for email in added]
        jobs.enqueue(session, names.PREPARE_FOR_STUDENTS, cohort_id=cohort_id, user_ids=enrolled)
    return added
