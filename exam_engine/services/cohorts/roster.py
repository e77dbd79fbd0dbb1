"""Rosters: a CSV of students enrolled all or nothing, and enrolment of existing accounts."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import CohortRole, Role, values
from exam_engine.models import Cohort, Membership, User
from exam_engine.services import accounts
from exam_engine.services.cohorts.access import NAME_MAX, audit_cohort, changed_meanwhile
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from exam_engine.services.passwords import hash_password
from exam_engine.services.transaction import transaction

ROSTER_MAX_ROWS = 500


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
    """What a roster upload did; ``created`` holds one-time passwords of new accounts."""

    added: list[RosterRow] = field(default_factory=list)
    already: list[RosterRow] = field(default_factory=list)
    created: list[tuple[RosterRow, str]] = field(default_factory=list)


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


def upload_roster(session: Session, user_id: int, cohort: Cohort, text: str) -> RosterReport:
    """Enrol every roster row as a student, creating candidate accounts for new emails.

    All or nothing: any bad row (format, or an email that belongs to an instructor or admin
    account) rejects the whole upload with every problem listed.
    """
    rows = parse_roster(text)
    with transaction(session, conflict=changed_meanwhile("the roster")):
        return _enrol_rows(session, user_id, cohort, rows)


def _enrol_rows(
    session: Session, user_id: int, cohort: Cohort, rows: list[RosterRow]
) -> RosterReport:
    emails = [row.email for row in rows]
    users = {
        user.email: user for user in session.scalars(select(User).where(User.email.in_(emails)))
    }
    roles = dict(
        list(
            session.execute(
                select(Membership.user_id, Membership.role).where(
                    Membership.cohort_id == cohort.id,
                    Membership.user_id.in_([u.id for u in users.values()]),
                )
            ).tuples()
        )
    )
    problems = [
        f"line {row.line}: {row.email} is an {users[row.email].role} account; "
        "only candidate accounts can be students"
        for row in rows
        if row.email in users and users[row.email].role != Role.CANDIDATE
    ]
    if problems:
        raise RosterRejected(problems)
    report = RosterReport()
    for row in rows:
        user = users.get(row.email)
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User(
                email=row.email,
                name=row.name,
                role=Role.CANDIDATE,
                password_hash=hash_password(password),
                must_change_password=True,
            )
            session.add(user)
            session.flush()
            report.created.append((row, password))
        elif roles.get(user.id) == CohortRole.STUDENT:
            report.already.append(row)
            continue
        session.add(Membership(cohort_id=cohort.id, user_id=user.id, role=CohortRole.STUDENT))
        report.added.append(row)
    audit_cohort(
        session,
        user_id,
        "cohort.roster",
        cohort.id,
        f"roster upload: {len(report.added)} added ({len(report.created)} new accounts), "
        f"{len(report.already)} already enrolled",
        added=[row.email for row in report.added],
        created=[row.email for row, _ in report.created],
    )
    return report


def enroll(
    session: Session, cohort_id: int, emails: Iterable[str], *, role: str = CohortRole.STUDENT
) -> list[str]:
    """Enrol existing accounts by email (all or nothing); return the emails newly enrolled."""
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
    return added
