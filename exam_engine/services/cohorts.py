"""Cohort use cases: cohorts, rosters, join codes, assigned mocks, the cohort scorecard, exports.

Access: an instructor manages only the cohorts they teach (membership role ``instructor``),
an admin every cohort; anyone else asking for a cohort gets NotFound, never a hint that it
exists. Students are candidate accounts; they see their assignments, never the roster.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, and_, cast, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from exam_engine.domain import cohort_stats
from exam_engine.domain.charts import Bar, interval_bars
from exam_engine.domain.cohort_stats import (
    AssignmentRef,
    AttemptRecord,
    CohortScorecard,
    ItemTally,
    MissedItem,
    StudentRef,
    StudentRow,
)
from exam_engine.models import (
    Assignment,
    Attempt,
    AttemptItem,
    AuditEvent,
    Cohort,
    ExamTemplate,
    Membership,
    Question,
    QuestionVersion,
    User,
)
from exam_engine.services import accounts, attempts
from exam_engine.services.catalog import bundled_blueprint, get_template
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from exam_engine.services.passwords import hash_password

JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud
JOIN_CODE_LENGTH = 10
JOIN_DAYS_DEFAULT = 14
JOIN_DAYS_MAX = 90
ROSTER_MAX_ROWS = 500
NAME_MAX = 120
FINISHED = attempts.FINISHED
RECENT_CLOSED = timedelta(days=14)
OPTION_IDS = "ABCD"


class RosterRejected(ValidationFailed):
    """The roster has bad rows; nothing was added. ``problems`` are ``line N: reason``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(
            f"roster not imported ({count} problem{'s' if count != 1 else ''}; nothing was "
            "added): " + "; ".join(self.problems)
        )


# --- cohorts and access ---------------------------------------------------------------------


@dataclass(frozen=True)
class CohortSummary:
    """A cohort in a user's list, with the user's place in it and its size."""

    cohort: Cohort
    role: str
    students: int
    assignments: int


def _audit(
    session: Session, actor: User | None, action: str, cohort_id: int, summary: str, **details: Any
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.id if actor is not None else None,
            action=action,
            object_type="cohort",
            object_id=str(cohort_id),
            summary=summary[:500],
            details=details,
        )
    )


def _commit(session: Session, what: str) -> None:
    """Commit, turning a lost race on a unique key into a Conflict."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"{what} changed meanwhile; nothing was saved, try again") from None


def check_name(name: str) -> str:
    """Return a cohort name trimmed, or raise ValidationFailed."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("name: give the cohort a name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(f"name: at most {NAME_MAX} characters")
    return name


def create_cohort(session: Session, name: str, instructor: User) -> Cohort:
    """Create a cohort taught by ``instructor`` (an instructor or admin account)."""
    name = check_name(name)
    if not instructor.has_role("instructor"):
        raise ValidationFailed(f"instructor: {instructor.email} is not an instructor account")
    cohort = Cohort(name=name, created_by_id=instructor.id)
    cohort.memberships.append(Membership(user_id=instructor.id, role="instructor"))
    session.add(cohort)
    session.flush()
    _audit(session, instructor, "cohort.create", cohort.id, f"created cohort {name!r}")
    _commit(session, "the cohort")
    return cohort


def list_cohorts(session: Session, user: User) -> tuple[list[CohortSummary], list[CohortSummary]]:
    """Return (cohorts the user teaches or, for an admin, all; cohorts the user studies in)."""
    students = (
        select(func.count())
        .where(Membership.cohort_id == Cohort.id, Membership.role == "student")
        .scalar_subquery()
    )
    assignments = select(func.count()).where(Assignment.cohort_id == Cohort.id).scalar_subquery()
    mine = aliased(Membership)
    query = (
        select(Cohort, mine.role, students, assignments)
        .outerjoin(mine, and_(mine.cohort_id == Cohort.id, mine.user_id == user.id))
        .order_by(Cohort.name, Cohort.id)
    )
    if user.role != "admin":
        query = query.where(mine.id.is_not(None))
    teaching: list[CohortSummary] = []
    studying: list[CohortSummary] = []
    for cohort, role, n_students, n_assignments in session.execute(query):
        if role == "student":
            studying.append(CohortSummary(cohort, "student", n_students, n_assignments))
        elif role == "instructor" and user.has_role("instructor"):
            teaching.append(CohortSummary(cohort, "instructor", n_students, n_assignments))
        elif user.role == "admin":
            teaching.append(CohortSummary(cohort, "admin", n_students, n_assignments))
    return teaching, studying


def managed_cohort(session: Session, user: User, cohort_id: int) -> Cohort:
    """Return a cohort the user may manage (its instructor, or any admin), else NotFound."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or not can_manage(session, user, cohort_id):
        raise NotFound(f"cohort {cohort_id} not found")
    return cohort


def can_manage(session: Session, user: User, cohort_id: int) -> bool:
    """Tell whether the user teaches this cohort (admins manage every cohort)."""
    if user.role == "admin":
        return True
    if user.role != "instructor":
        return False
    return bool(
        session.scalar(
            select(
                exists().where(
                    Membership.cohort_id == cohort_id,
                    Membership.user_id == user.id,
                    Membership.role == "instructor",
                )
            )
        )
    )


@dataclass(frozen=True)
class Member:
    """A roster line."""

    user_id: int
    email: str
    name: str
    role: str
    time_multiplier: float
    joined_at: datetime


def members(session: Session, cohort_id: int) -> list[Member]:
    """Return the cohort's instructors, then its students, by name."""
    rows = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.cohort_id == cohort_id)
    )
    out = [
        Member(user.id, user.email, user.name, m.role, user.time_multiplier, m.joined_at)
        for m, user in rows
    ]
    out.sort(key=lambda m: (m.role != "instructor", (m.name or m.email).casefold(), m.email))
    return out


def _student_membership(session: Session, cohort_id: int, user_id: int) -> Membership:
    membership = session.scalar(
        select(Membership).where(
            Membership.cohort_id == cohort_id,
            Membership.user_id == user_id,
            Membership.role == "student",
        )
    )
    if membership is None:
        raise NotFound(f"user {user_id} is not a student of cohort {cohort_id}")
    return membership


def remove_student(session: Session, actor: User, cohort: Cohort, user_id: int) -> User:
    """Take a student off the roster (their attempts stay theirs; the cohort stops seeing them)."""
    membership = _student_membership(session, cohort.id, user_id)
    user = session.get(User, user_id)
    assert user is not None  # the membership's foreign key guarantees it
    session.delete(membership)
    _audit(session, actor, "cohort.remove", cohort.id, f"removed {user.email}", user_id=user_id)
    _commit(session, "the roster")
    return user


def set_student_multiplier(
    session: Session, actor: User, cohort: Cohort, user_id: int, multiplier: float
) -> User:
    """Set a student's time accommodation (1.0-4.0); it applies to every timed mock they start."""
    _student_membership(session, cohort.id, user_id)
    user = accounts.set_time_multiplier(session, user_id, multiplier)
    _audit(
        session,
        actor,
        "cohort.time_multiplier",
        cohort.id,
        f"set {user.email}'s time multiplier to {multiplier:g}",
        user_id=user_id,
        multiplier=multiplier,
    )
    session.commit()
    return user


# --- join codes -----------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    """Return a join code as stored: upper case, spaces and dashes dropped."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t")


def new_join_code(
    session: Session, actor: User, cohort: Cohort, *, now: datetime, days: int
) -> str:
    """Give the cohort a fresh join code valid for ``days`` days (the old code stops working)."""
    if not 1 <= days <= JOIN_DAYS_MAX:
        raise ValidationFailed(f"days: the code may last 1 to {JOIN_DAYS_MAX} days")
    for _ in range(5):
        code = "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        taken = session.scalar(select(exists().where(Cohort.join_code == code)))
        if not taken:
            break
    else:  # pragma: no cover - 32**10 codes make five collisions in a row unthinkable
        raise Conflict("could not find a free join code; try again")
    cohort.join_code = code
    cohort.join_code_expires_at = now + timedelta(days=days)
    _audit(session, actor, "cohort.join_code", cohort.id, f"new join code for {days} days")
    _commit(session, "the join code")
    return code


def revoke_join_code(session: Session, actor: User, cohort: Cohort) -> None:
    """Stop the cohort's join code from working."""
    cohort.join_code = None
    cohort.join_code_expires_at = None
    _audit(session, actor, "cohort.join_code_revoked", cohort.id, "join code revoked")
    session.commit()


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


def join_by_code(session: Session, user: User, code: str, *, now: datetime) -> tuple[Cohort, bool]:
    """Add the user to the code's cohort as a student; return (cohort, whether newly added)."""
    cohort = cohort_for_code(session, code, now=now)
    existing = session.scalar(
        select(Membership).where(Membership.cohort_id == cohort.id, Membership.user_id == user.id)
    )
    if existing is not None:
        if existing.role != "student":
            raise Conflict(f"you already teach {cohort.name}")
        return cohort, False
    if user.role != "candidate":
        raise Conflict(
            f"only candidate accounts join cohorts as students; {user.email} is {user.role}"
        )
    session.add(Membership(cohort_id=cohort.id, user_id=user.id, role="student"))
    _audit(session, user, "cohort.join", cohort.id, f"{user.email} joined by code")
    _commit(session, "the roster")
    return cohort, True


# --- rosters --------------------------------------------------------------------------------


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


def upload_roster(session: Session, actor: User, cohort: Cohort, text: str) -> RosterReport:
    """Enrol every roster row as a student, creating candidate accounts for new emails.

    All or nothing: any bad row (format, or an email that belongs to an instructor or admin
    account) rejects the whole upload with every problem listed.
    """
    rows = parse_roster(text)
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
        if row.email in users and users[row.email].role != "candidate"
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
                role="candidate",
                password_hash=hash_password(password),
                must_change_password=True,
            )
            session.add(user)
            session.flush()
            report.created.append((row, password))
        elif roles.get(user.id) == "student":
            report.already.append(row)
            continue
        session.add(Membership(cohort_id=cohort.id, user_id=user.id, role="student"))
        report.added.append(row)
    _audit(
        session,
        actor,
        "cohort.roster",
        cohort.id,
        f"roster upload: {len(report.added)} added ({len(report.created)} new accounts), "
        f"{len(report.already)} already enrolled",
        added=[row.email for row in report.added],
        created=[row.email for row, _ in report.created],
    )
    _commit(session, "the roster")
    return report


def enroll(
    session: Session, cohort_id: int, emails: Iterable[str], *, role: str = "student"
) -> list[str]:
    """Enrol existing accounts by email (all or nothing); return the emails newly enrolled."""
    if role not in ("student", "instructor"):
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
        elif role == "student" and user.role != "candidate":
            problems.append(f"email: {email} is an {user.role} account, not a candidate")
        elif role == "instructor" and not user.has_role("instructor"):
            problems.append(f"email: {email} is a candidate account, not an instructor")
    if problems:
        raise ValidationFailed("nothing enrolled: " + "; ".join(problems))
    current = dict(
        list(
            session.execute(
                select(Membership.user_id, Membership.role).where(Membership.cohort_id == cohort_id)
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
    _audit(
        session, None, "cohort.enroll", cohort_id, f"enrolled {len(added)} as {role}", added=added
    )
    _commit(session, "the roster")
    return added


# --- assignments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentLine:
    """An assignment with its template, for the cohort pages."""

    assignment: Assignment
    template: ExamTemplate
    number: int
    sittings: int = 0

    def state(self, now: datetime) -> str:
        """Return upcoming, open or closed."""
        if now < self.assignment.opens_at:
            return "upcoming"
        return "open" if now < self.assignment.closes_at else "closed"


def assignment_lines(session: Session, cohort_id: int) -> list[AssignmentLine]:
    """Return the cohort's assignments in the order they open, numbered from 1."""
    sittings = (
        select(func.count())
        .where(Attempt.assignment_id == Assignment.id)
        .correlate(Assignment)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Assignment, ExamTemplate, sittings)
        .join(ExamTemplate, ExamTemplate.id == Assignment.template_id)
        .where(Assignment.cohort_id == cohort_id)
        .order_by(Assignment.opens_at, Assignment.id)
    ).tuples()
    return [AssignmentLine(a, t, n, count) for n, (a, t, count) in enumerate(rows, start=1)]


def create_assignment(
    session: Session,
    actor: User,
    cohort: Cohort,
    template_name: str,
    *,
    opens_at: datetime,
    closes_at: datetime,
) -> Assignment:
    """Assign an active exam template to the cohort for a window of time."""
    template = get_template(session, template_name)
    if template.mode != "exam":
        raise ValidationFailed(f"template: {template.title} is a practice set, not a timed mock")
    if closes_at <= opens_at:
        raise ValidationFailed("closes_at: the window must close after it opens")
    assignment = Assignment(
        cohort_id=cohort.id, template_id=template.id, opens_at=opens_at, closes_at=closes_at
    )
    session.add(assignment)
    session.flush()
    _audit(
        session,
        actor,
        "cohort.assign",
        cohort.id,
        f"assigned {template.name} from {opens_at:%Y-%m-%d %H:%M} to {closes_at:%Y-%m-%d %H:%M}",
        assignment_id=assignment.id,
    )
    _commit(session, "the assignments")
    return assignment


def delete_assignment(session: Session, actor: User, cohort: Cohort, assignment_id: int) -> None:
    """Withdraw an assignment nobody has started yet."""
    assignment = session.scalar(
        select(Assignment).where(Assignment.id == assignment_id, Assignment.cohort_id == cohort.id)
    )
    if assignment is None:
        raise NotFound(f"assignment {assignment_id} not found in this cohort")
    started = session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.assignment_id == assignment_id)
    )
    if started:
        raise Conflict(
            f"assignment {assignment_id} has {started} attempt(s); it stays so their results do"
        )
    session.delete(assignment)
    _audit(session, actor, "cohort.unassign", cohort.id, f"withdrew assignment {assignment_id}")
    session.commit()


@dataclass(frozen=True)
class AssignedMock:
    """A mock assigned to a student, as their dashboard shows it."""

    assignment_id: int
    cohort_name: str
    title: str
    item_count: int
    minutes: float
    opens_at: datetime
    closes_at: datetime
    state: str
    attempt_id: int | None
    attempt_status: str | None

    @property
    def action(self) -> str | None:
        """Return what the student can do now: start, resume, results, or nothing."""
        if self.attempt_status == "in_progress":
            return "resume"
        if self.attempt_status in FINISHED:
            return "results"
        return "start" if self.state == "open" else None


def assigned_to(session: Session, user: User, *, now: datetime) -> list[AssignedMock]:
    """Return the mocks the user's cohorts set: open first, then upcoming, then recent ones."""
    rows = session.execute(
        select(Assignment, ExamTemplate, Cohort.name)
        .join(Membership, Membership.cohort_id == Assignment.cohort_id)
        .join(Cohort, Cohort.id == Assignment.cohort_id)
        .join(ExamTemplate, ExamTemplate.id == Assignment.template_id)
        .where(
            Membership.user_id == user.id,
            Membership.role == "student",
            Assignment.closes_at > now - RECENT_CLOSED,
        )
    ).tuples()
    rows_list = list(rows)
    mine: dict[int, Attempt] = {}
    if rows_list:
        for attempt in session.scalars(
            select(Attempt)
            .where(
                Attempt.user_id == user.id,
                Attempt.assignment_id.in_([a.id for a, _, _ in rows_list]),
            )
            .order_by(Attempt.started_at, Attempt.id)
        ):
            kept = mine.get(attempt.assignment_id or 0)
            # The first finished sitting counts; otherwise the latest one.
            if kept is None or kept.status not in FINISHED:
                mine[attempt.assignment_id or 0] = attempt
    out: list[AssignedMock] = []
    for assignment, template, cohort_name in rows_list:
        sitting = mine.get(assignment.id)
        state = AssignmentLine(assignment, template, 0).state(now)
        out.append(
            AssignedMock(
                assignment_id=assignment.id,
                cohort_name=cohort_name,
                title=template.title,
                item_count=template.item_count,
                minutes=template.minutes * user.time_multiplier,
                opens_at=assignment.opens_at,
                closes_at=assignment.closes_at,
                state=state,
                attempt_id=sitting.id if sitting else None,
                attempt_status=sitting.status if sitting else None,
            )
        )
    rank = {"open": 0, "upcoming": 1, "closed": 2}
    # Open and upcoming by closing time (soonest first); closed ones most recent first.
    out.sort(
        key=lambda m: (
            rank[m.state],
            m.closes_at.timestamp() * (-1 if m.state == "closed" else 1),
            m.assignment_id,
        )
    )
    return out


def start_assignment(
    session: Session, user: User, assignment_id: int, *, now: datetime, grace_seconds: int
) -> Attempt:
    """Start (or resume) the user's sitting of an assigned mock, only inside its window."""
    # Simultaneous presses queue here, so the second finds the first's sitting to resume.
    attempts.lock_user(session, user.id)
    assignment = session.scalar(
        select(Assignment)
        .join(
            Membership,
            and_(
                Membership.cohort_id == Assignment.cohort_id,
                Membership.user_id == user.id,
                Membership.role == "student",
            ),
        )
        .where(Assignment.id == assignment_id)
    )
    if assignment is None:
        raise NotFound(f"assignment {assignment_id} not found")
    earlier = session.scalars(
        select(Attempt)
        .where(Attempt.user_id == user.id, Attempt.assignment_id == assignment_id)
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    for attempt in earlier:
        attempts.touch(session, attempt, now, grace_seconds)
    if any(a.status in FINISHED for a in earlier):
        raise Conflict("you have already sat this assigned mock; its results are on your dashboard")
    if earlier:
        return earlier[-1]
    if now < assignment.opens_at:
        raise Conflict(
            f"this assigned mock opens at {assignment.opens_at:%Y-%m-%d %H:%M} UTC; come back then"
        )
    if now >= assignment.closes_at:
        raise Conflict(
            f"this assigned mock closed at {assignment.closes_at:%Y-%m-%d %H:%M} UTC; "
            "ask your instructor if you need another window"
        )
    template = session.get(ExamTemplate, assignment.template_id)
    assert template is not None  # the foreign key guarantees it
    return attempts.start_attempt(
        session, user, template.name, now=now, assignment_id=assignment.id
    )


def finalize_overdue(session: Session, cohort_id: int, *, now: datetime, grace_seconds: int) -> int:
    """Finalize the cohort's assigned attempts whose time ran out, so completion is current."""
    cutoff = now - attempts.grace(grace_seconds)
    ids = session.scalars(
        select(Attempt.id)
        .join(Assignment, Assignment.id == Attempt.assignment_id)
        .where(
            Assignment.cohort_id == cohort_id,
            Attempt.status == "in_progress",
            Attempt.deadline_at < cutoff,
        )
    ).all()
    if not ids:
        return 0
    session.rollback()
    return sum(attempts.finalize(session, attempt_id, now, status="expired") for attempt_id in ids)


# --- the cohort scorecard -------------------------------------------------------------------


@dataclass(frozen=True)
class StudentInfo:
    """What the cohort pages show about a student."""

    id: int
    email: str
    name: str
    time_multiplier: float

    @property
    def label(self) -> str:
        """Return the name, or the email when the account has no name."""
        return self.name or self.email


@dataclass(frozen=True)
class MissedItemView:
    """A most-missed item with what the instructor needs to read it."""

    item: MissedItem
    stem: str
    key_text: str
    distractor_text: str | None
    title: str

    @property
    def distractor_share(self) -> float:
        """Return the top distractor's share of all answers, as a percent."""
        return 100.0 * self.item.top_distractor_count / self.item.shown if self.item.shown else 0


@dataclass(frozen=True)
class CohortView:
    """Everything the scorecard page, the report and the exports read."""

    cohort: Cohort
    card: CohortScorecard
    rows: list[StudentRow]
    students: dict[int, StudentInfo]
    assignments: list[AssignmentLine]
    titles: dict[str, str]
    missed: list[MissedItemView]
    trend_svg: str
    domain_svg: str
    sort: str
    descending: bool

    @property
    def column_codes(self) -> tuple[str, ...]:
        """Return the heatmap's score columns: each domain, then its sub-domains."""
        return self.card.codes

    @property
    def subdomain_codes(self) -> list[str]:
        """Return the sub-domain columns in blueprint order."""
        return [s.code for s in self.card.subdomains]

    @property
    def domain_codes(self) -> list[str]:
        """Return the domain columns in blueprint order."""
        return [d.code for d in self.card.domains]


def _students(session: Session, cohort_id: int) -> list[StudentInfo]:
    rows = session.execute(
        select(User.id, User.email, User.name, User.time_multiplier)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.cohort_id == cohort_id, Membership.role == "student")
    ).tuples()
    return [StudentInfo(*row) for row in rows]


def _records(session: Session, cohort_id: int) -> list[AttemptRecord]:
    """Every attempt a current student made at one of the cohort's assignments."""
    rows = session.execute(
        select(
            Attempt.id,
            Attempt.user_id,
            Attempt.assignment_id,
            Attempt.status,
            Attempt.started_at,
            # Fetched as text and parsed below, the same way on SQLite and PostgreSQL.
            cast(Attempt.result, Text),
        )
        .join(Assignment, Assignment.id == Attempt.assignment_id)
        .join(
            Membership,
            and_(
                Membership.cohort_id == Assignment.cohort_id,
                Membership.user_id == Attempt.user_id,
                Membership.role == "student",
            ),
        )
        .where(Assignment.cohort_id == cohort_id)
    ).all()
    results = _parse_json([row[5] for row in rows])
    return [
        AttemptRecord(a, u, g or 0, s, t, r)
        for (a, u, g, s, t, _), r in zip(rows, results, strict=True)
    ]


def _parse_json(texts: Sequence[str | None]) -> list[Any]:
    """Parse cached results (SQL NULL and JSON null both give None)."""
    return [json.loads(text) if text is not None and text != "null" else None for text in texts]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a scorecard is built.

    Each cached result parses into about sixty dicts and lists, and the statistics add a few
    objects per cell: thousands of attempts trigger full collections that walk every
    long-lived object of the app (some 150,000 after imports) and everything allocated so far,
    which makes the build superlinear (three times slower at 200 students). These objects form
    no reference cycles and are freed by reference counting when the request ends, so nothing
    is missed; the collector resumes (if it was on) when the block exits.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _item_tallies(session: Session, cohort_id: int) -> list[ItemTally]:
    """How the cohort's students answered each item in the attempts that count."""
    earlier = aliased(Attempt)
    # Only the first finished sitting per student and assignment counts, as on the heatmap.
    first = ~exists().where(
        earlier.user_id == Attempt.user_id,
        earlier.assignment_id == Attempt.assignment_id,
        earlier.status.in_(FINISHED),
        (earlier.started_at < Attempt.started_at)
        | and_(earlier.started_at == Attempt.started_at, earlier.id < Attempt.id),
    )
    counts = (
        select(
            AttemptItem.question_version_id.label("vid"),
            AttemptItem.choice.label("choice"),
            func.count().label("n"),
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(Assignment, Assignment.id == Attempt.assignment_id)
        .join(
            Membership,
            and_(
                Membership.cohort_id == Assignment.cohort_id,
                Membership.user_id == Attempt.user_id,
                Membership.role == "student",
            ),
        )
        .where(Assignment.cohort_id == cohort_id, Attempt.status.in_(FINISHED), first)
        .group_by(AttemptItem.question_version_id, AttemptItem.choice)
        .subquery()
    )
    rows = session.execute(
        select(
            counts.c.vid,
            counts.c.choice,
            counts.c.n,
            QuestionVersion.answer_index,
            QuestionVersion.subdomain,
            Question.key,
        )
        .join(QuestionVersion, QuestionVersion.id == counts.c.vid)
        .join(Question, Question.id == QuestionVersion.question_id)
    ).tuples()
    tallies: dict[int, tuple[str, str, int, dict[int | None, int]]] = {}
    for vid, choice, n, answer, subdomain, key in rows:
        entry = tallies.setdefault(vid, (key, subdomain, answer, {}))
        entry[3][choice] = int(n)
    return [
        ItemTally(vid, key, sub, answer, choices)
        for vid, (key, sub, answer, choices) in tallies.items()
    ]


def _missed_views(
    session: Session, missed: Sequence[MissedItem], titles: dict[str, str]
) -> list[MissedItemView]:
    if not missed:
        return []
    versions = {
        v.id: v
        for v in session.scalars(
            select(QuestionVersion).where(QuestionVersion.id.in_([m.version_id for m in missed]))
        )
    }
    out = []
    for item in missed:
        version = versions[item.version_id]
        options = list(version.options)
        out.append(
            MissedItemView(
                item=item,
                stem=version.stem,
                key_text=options[item.answer_index],
                distractor_text=(
                    options[item.top_distractor] if item.top_distractor is not None else None
                ),
                title=titles.get(item.subdomain, item.subdomain),
            )
        )
    return out


def _domain_chart(card: CohortScorecard, titles: dict[str, str]) -> str:
    bars = [
        Bar(
            label=f"{d.code} {titles.get(d.code, '')}".strip(),
            value=d.score.percent,
            low=d.score.ci[0],
            high=d.score.ci[1],
            note=f"{d.score.correct} of {d.score.total} answers correct, {d.students} students",
        )
        for d in card.domains
        if d.score.total
    ]
    if not bars:
        return ""
    return interval_bars(
        bars,
        chart_id="cohort-domains",
        title="Cohort average by domain, with 95% intervals",
        summary=(
            f"Pooled over every finished assigned mock: {card.overall.correct} of "
            f"{card.overall.total} answers correct ({card.overall.percent:.0f}%)."
        ),
        target=100.0 * card.target,
    )


def titles_of_blueprint() -> dict[str, str]:
    """Return code -> title for every domain and sub-domain of the bundled blueprint."""
    blueprint = bundled_blueprint()
    titles: dict[str, str] = {}
    for domain in blueprint.domains:
        titles[domain.code] = domain.title
        for sub in domain.subdomains:
            titles[sub.code] = sub.title
    return titles


def scorecard(
    session: Session,
    cohort: Cohort,
    *,
    target: float,
    sort: str = "name",
    descending: bool = False,
    missed_limit: int = 10,
) -> CohortView:
    """Build the cohort scorecard: heatmap rows, averages, weakest areas, missed items, trend."""
    blueprint = bundled_blueprint()
    titles = titles_of_blueprint()
    students = _students(session, cohort.id)
    lines = assignment_lines(session, cohort.id)
    with gc_paused():
        card = cohort_stats.build_scorecard(
            [StudentRef(s.id, s.label) for s in students],
            [AssignmentRef(line.assignment.id, line.template.title) for line in lines],
            _records(session, cohort.id),
            blueprint,
            target=target,
        )
    valid = set(cohort_stats.SORT_KEYS) | set(card.codes)
    if sort not in valid:
        raise ValidationFailed(
            f"sort: {sort!r} is not a column (use name, finished, overall or a domain code)"
        )
    missed = cohort_stats.most_missed(_item_tallies(session, cohort.id), limit=missed_limit)
    return CohortView(
        cohort=cohort,
        card=card,
        rows=cohort_stats.sort_rows(card.rows, sort, descending=descending),
        students={s.id: s for s in students},
        assignments=lines,
        titles=titles,
        missed=_missed_views(session, missed, titles),
        trend_svg=cohort_stats.trend_chart(card, blueprint, chart_id="cohort-trend"),
        domain_svg=_domain_chart(card, titles),
        sort=sort,
        descending=descending,
    )


# --- exports --------------------------------------------------------------------------------


def _safe(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def scorecard_csv(view: CohortView) -> str:
    """Return the heatmap as CSV: one row a student, percent per domain and sub-domain."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    subs = view.subdomain_codes
    writer.writerow(
        ["email", "name", "mocks_finished", "overall_correct", "overall_total", "overall_percent"]
        + view.domain_codes
        + subs
        + [f"{code} status" for code in subs]
    )
    for row in view.rows:
        info = view.students[row.student.id]
        writer.writerow(
            [
                _safe(info.email),
                _safe(info.name),
                row.finished,
                row.overall.correct,
                row.overall.total,
                _pct(row.overall.percent),
            ]
            + [_pct(row.cell(code).percent) for code in view.domain_codes]
            + [_pct(row.cell(code).percent) for code in subs]
            + [row.cell(code).status or "" for code in subs]
        )
    return out.getvalue()


def attempts_csv(session: Session, cohort: Cohort) -> str:
    """Return every student-attempt at the cohort's assignments as CSV, oldest first."""
    blueprint = bundled_blueprint()
    domains = [d.code for d in blueprint.domains]
    subs = list(blueprint.subdomain_codes)
    students = {s.id: s for s in _students(session, cohort.id)}
    lines = {line.assignment.id: line for line in assignment_lines(session, cohort.id)}
    with gc_paused():
        fetched = _records(session, cohort.id)
    records = sorted(
        fetched,
        key=lambda r: (
            lines[r.assignment_id].number,
            students[r.student_id].email,
            r.started_at,
            r.attempt_id,
        ),
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "email",
            "name",
            "mock",
            "template",
            "assignment_id",
            "attempt_id",
            "status",
            "started_at",
            "submitted_at",
            "correct",
            "total",
            "percent",
        ]
        + domains
        + subs
    )
    submitted = (
        dict(
            list(
                session.execute(
                    select(Attempt.id, Attempt.submitted_at).where(
                        Attempt.id.in_([r.attempt_id for r in records])
                    )
                ).tuples()
            )
        )
        if records
        else {}
    )
    for record in records:
        info = students[record.student_id]
        line = lines[record.assignment_id]
        result = record.result if record.status in FINISHED else None
        score = (result or {}).get("score") or {}

        def percent(level: str, code: str, result: Any = result) -> str:
            data = (result or {}).get(level, {}).get(code)
            return (
                ""
                if not data or not data["total"]
                else f"{100.0 * data['correct'] / data['total']:.1f}"
            )

        done = submitted.get(record.attempt_id)
        writer.writerow(
            [
                _safe(info.email),
                _safe(info.name),
                line.number,
                _safe(line.template.title),
                record.assignment_id,
                record.attempt_id,
                record.status,
                record.started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                done.strftime("%Y-%m-%dT%H:%M:%SZ") if done else "",
                score.get("correct", ""),
                score.get("total", ""),
                f"{100.0 * score['correct'] / score['total']:.1f}" if score.get("total") else "",
            ]
            + [percent("by_domain", code) for code in domains]
            + [percent("by_subdomain", code) for code in subs]
        )
    return out.getvalue()


# --- drill-down -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentAttempt:
    """One of a student's attempts at the cohort's assignments."""

    attempt: Attempt
    line: AssignmentLine


def student_in_cohort(session: Session, cohort: Cohort, user_id: int) -> StudentInfo:
    """Return a current student of the cohort, else NotFound."""
    _student_membership(session, cohort.id, user_id)
    user = session.get(User, user_id)
    assert user is not None
    return StudentInfo(user.id, user.email, user.name, user.time_multiplier)


def student_attempts(session: Session, cohort: Cohort, user_id: int) -> list[StudentAttempt]:
    """Return the student's attempts at this cohort's assignments, in assignment order."""
    lines = {line.assignment.id: line for line in assignment_lines(session, cohort.id)}
    if not lines:
        return []
    rows = session.scalars(
        select(Attempt)
        .where(Attempt.user_id == user_id, Attempt.assignment_id.in_(list(lines)))
        .order_by(Attempt.started_at, Attempt.id)
    )
    out = [StudentAttempt(a, lines[a.assignment_id or 0]) for a in rows]
    out.sort(key=lambda s: (s.line.number, s.attempt.started_at, s.attempt.id))
    return out


def cohort_attempt(
    session: Session, cohort: Cohort, attempt_id: int
) -> tuple[Attempt, StudentInfo]:
    """Return a current student's attempt at one of this cohort's assignments, else NotFound."""
    attempt = session.scalar(
        select(Attempt)
        .join(Assignment, Assignment.id == Attempt.assignment_id)
        .join(
            Membership,
            and_(
                Membership.cohort_id == Assignment.cohort_id,
                Membership.user_id == Attempt.user_id,
                Membership.role == "student",
            ),
        )
        .where(Attempt.id == attempt_id, Assignment.cohort_id == cohort.id)
    )
    if attempt is None:
        raise NotFound(f"attempt {attempt_id} not found in this cohort")
    return attempt, student_in_cohort(session, cohort, attempt.user_id)


def result_lines(
    attempt: Attempt,
) -> tuple[list[tuple[str, str, dict[str, Any]]], list[tuple[str, str, dict[str, Any]]]]:
    """Return (domain lines, sub-domain lines) of a finished attempt: (code, title, score dict)."""
    titles = titles_of_blueprint()
    result = attempt.result or {}
    domains = [(c, titles.get(c, c), s) for c, s in (result.get("by_domain") or {}).items()]
    subs = [(c, titles.get(c, c), s) for c, s in (result.get("by_subdomain") or {}).items()]
    return domains, subs
