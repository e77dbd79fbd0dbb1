"""Demo data for a first look: accounts and the bundled bank (idempotent)."""

from __future__ import annotations

import math
import random
import secrets
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from exam_engine.domain.assembly import BankIndex, FormItem, assemble
from exam_engine.domain.item_analysis import DEFAULT_MIN_RESPONSES
from exam_engine.domain.vocabulary import AttemptKind, AttemptStatus, CohortRole, Role
from exam_engine.models import (
    Assignment,
    Attempt,
    AttemptItem,
    Cohort,
    ExamTemplate,
    Membership,
    QuestionVersion,
    Response,
    User,
    utcnow,
)
from exam_engine.services import accounts, attempts, item_stats, pool, prepared_forms
from exam_engine.services.catalog import blueprint_named, template_spec
from exam_engine.services.interchange import import_loaded_bank
from exam_engine.services.passwords import hash_password
from exam_engine.services.transaction import transaction
from question_bank import BUNDLED_BANK, load_bank


@dataclass(frozen=True)
class DemoAccount:
    """A demo login printed for the user."""

    email: str
    password: str
    role: str
    name: str


# Demo-only credentials, printed by `flask demo` and listed in the README.
DEMO_ACCOUNTS = (
    DemoAccount("admin@example.com", "demo-orchid-lantern", Role.ADMIN, "Ada Admin"),
    DemoAccount("instructor@example.com", "demo-maple-compass", Role.INSTRUCTOR, "Ivan Instructor"),
    DemoAccount("reviewer@example.com", "demo-harbor-violet", Role.INSTRUCTOR, "Rita Reviewer"),
    DemoAccount("candidate@example.com", "demo-copper-meadow", Role.CANDIDATE, "Cara Candidate"),
    DemoAccount("candidate2@example.com", "demo-copper-meadow", Role.CANDIDATE, "Carl Candidate"),
)


@dataclass
class DemoReport:
    """What ``seed_demo`` created or found."""

    accounts: list[DemoAccount] = field(default_factory=list)
    created: list[str] = field(default_factory=list)


def seed_demo(
    session: Session,
    echo: Callable[[str], None] = print,
    *,
    min_responses: int = DEFAULT_MIN_RESPONSES,
) -> DemoReport:
    """Create whatever demo data is missing; running it twice changes nothing."""
    report = DemoReport()
    for account in DEMO_ACCOUNTS:
        if accounts.find_user(session, account.email) is None:
            accounts.create_user(
                session, account.email, account.password, role=account.role, name=account.name
            )
            report.created.append(account.email)
        report.accounts.append(account)
    echo(f"demo accounts: {len(report.created)} created, {len(DEMO_ACCOUNTS)} in all")
    loaded = load_bank(BUNDLED_BANK)
    # Audited as `flask bank import` is: the instructor home lists it among recent imports.
    imported = import_loaded_bank(session, loaded, source="bundled bank (flask demo)")
    echo(
        f"question bank: {len(loaded.items)} items ({len(imported.created)} new, "
        f"{len(imported.new_versions)} updated, {imported.unchanged} unchanged)"
    )
    seed_demo_cohort(session, echo=echo)
    refresh_item_stats(session, echo=echo, min_responses=min_responses)
    return report


def refresh_item_stats(
    session: Session, echo: Callable[[str], None] = print, *, min_responses: int
) -> bool:
    """Compute the item statistics when they are missing or stale, so the page has numbers."""
    if not item_stats.scope_status(session, item_stats.ALL_TEMPLATES).stale:
        echo("item statistics: up to date")
        return False
    report = item_stats.recompute(session, now=utcnow(), min_responses=min_responses)
    echo(
        f"item statistics: {report.rows} rows from {report.attempts} finished mocks, "
        f"{report.flagged} item versions flagged for review"
    )
    return True


# --- the demo cohort: simulated students with finished mocks --------------------------------

DEMO_COHORT = "Demo bootcamp (spring cohort)"
DEMO_STUDENTS = 32
DEMO_PAST_MOCKS = 4
DEMO_TEMPLATE = "aaism-full"
DEMO_SEED = 20260301
DIFFICULTY_LOGIT = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
FIRST_NAMES = (
    "Amara",
    "Bilal",
    "Chen",
    "Dana",
    "Emeka",
    "Farah",
    "Goran",
    "Hana",
    "Ines",
    "Jonas",
    "Kenji",
    "Lucia",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
    "Aiko",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Elif",
    "Femi",
)
LAST_NAMES = (
    "Okafor",
    "Haddad",
    "Wei",
    "Kowalski",
    "Mensah",
    "Rahman",
    "Petrov",
    "Sato",
    "Silva",
    "Berg",
    "Tanaka",
    "Moreno",
    "Garcia",
    "Aziz",
    "Farouk",
    "Iyer",
    "Murphy",
    "Ortiz",
    "Nasser",
    "Khan",
    "Rao",
    "Novak",
    "Liu",
    "Reyes",
    "Demir",
    "Ali",
    "Mori",
    "Costa",
    "Vega",
    "Ivanov",
    "Yilmaz",
    "Adeyemi",
)


def demo_student_email(number: int) -> str:
    """Return the email of simulated student ``number`` (1-based)."""
    return f"demo-student-{number:02d}@example.com"


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _item_profile(key: str) -> tuple[float, list[float]]:
    """Return an item's own difficulty shift and its distractors' pull (stable per key)."""
    rng = random.Random(zlib.crc32(key.encode()))
    # Most items have one tempting distractor: that is what "most chosen distractor" shows.
    return rng.gauss(0.0, 0.4), [rng.gammavariate(0.7, 1.0) + 0.05 for _ in range(4)]


def seed_demo_cohort(
    session: Session, echo: Callable[[str], None] = print, *, now: datetime | None = None
) -> bool:
    """Create the demo cohort with simulated students and their finished mocks, once.

    Each student has an ability per sub-domain (growing a little from mock to mock); an item is
    answered correctly with probability logistic(ability - item difficulty), and a wrong answer
    picks a distractor by that item's own pull, so each item has a favourite wrong answer.
    Attempts are written in bulk, one transaction, but hold exactly what the services store:
    forms assembled as start_attempt assembles them (same pool, seed and seen counts), one
    Response per save as save_response writes it, and the result graded by grade_attempt.
    """
    with transaction(session):
        seeded = _seed_cohort(session, echo, now=now)
    if seeded:
        # The open window's sittings start from prepared forms, as a real assignment's do.
        for assignment_id in session.scalars(
            select(Assignment.id)
            .join(Cohort, Cohort.id == Assignment.cohort_id)
            .where(Cohort.name == DEMO_COHORT, Assignment.closes_at > (now or utcnow()))
        ).all():
            prepared_forms.prepare_forms(session, assignment_id)
    return seeded


def _seed_cohort(session: Session, echo: Callable[[str], None], *, now: datetime | None) -> bool:
    instructor = accounts.find_user(session, "instructor@example.com")
    if instructor is None:
        return False
    existing = session.scalar(
        select(Cohort.id).where(Cohort.name == DEMO_COHORT, Cohort.created_by_id == instructor.id)
    )
    if existing is not None:
        echo(f"demo cohort: {DEMO_COHORT!r} already there (id {existing})")
        return False
    template = session.scalar(select(ExamTemplate).where(ExamTemplate.name == DEMO_TEMPLATE))
    if template is None:
        return False
    now = now or utcnow()
    rng = random.Random(DEMO_SEED)
    blueprint = blueprint_named(template.blueprint)
    spec = template_spec(template)

    cohort = Cohort(name=DEMO_COHORT, created_by_id=instructor.id)
    cohort.memberships.append(Membership(user_id=instructor.id, role=CohortRole.INSTRUCTOR))
    session.add(cohort)
    session.flush()
    week = timedelta(days=7)
    windows = [
        (
            now - week * (DEMO_PAST_MOCKS - i) - timedelta(days=2),
            now - week * (DEMO_PAST_MOCKS - i) + timedelta(days=3),
        )
        for i in range(DEMO_PAST_MOCKS)
    ]
    windows.append((now - timedelta(days=1), now + timedelta(days=6)))
    assignments = [
        Assignment(cohort_id=cohort.id, template_id=template.id, opens_at=opens, closes_at=closes)
        for opens, closes in windows
    ]
    session.add_all(assignments)

    # One unguessable password hash for every simulated student: they exist to be looked at.
    unusable = hash_password(secrets.token_urlsafe(24))
    students: list[User] = []
    for number in range(1, DEMO_STUDENTS + 1):
        email = demo_student_email(number)
        user = accounts.find_user(session, email)
        if user is None:
            first = FIRST_NAMES[(number - 1) % len(FIRST_NAMES)]
            name = f"{first} {LAST_NAMES[(number * 7) % len(LAST_NAMES)]}"
            user = User(email=email, name=name, role=Role.CANDIDATE, password_hash=unusable)
            session.add(user)
        students.append(user)
    candidate = accounts.find_user(session, "candidate@example.com")
    multipliers: dict[int, float] = {}
    for number, user in enumerate(students + ([candidate] if candidate is not None else []), 1):
        # A few students have an accommodation in this cohort, as real cohorts do.
        multiplier = 1.5 if number % 11 == 0 else 1.0
        cohort.memberships.append(
            Membership(user=user, role=CohortRole.STUDENT, time_multiplier=multiplier)
        )
    session.flush()
    for membership in cohort.memberships:
        multipliers[membership.user_id] = membership.time_multiplier

    versions = {
        row.id: row
        for row in session.execute(
            select(
                QuestionVersion.id,
                QuestionVersion.question_id,
                QuestionVersion.subdomain,
                QuestionVersion.difficulty,
                QuestionVersion.answer_index,
            )
        )
    }
    index = BankIndex(pool.published_pool(session))
    # Sub-domains the whole cohort finds hard, so the weakest list says something.
    cohort_shift = {code: rng.gauss(0.0, 0.3) for code in blueprint.subdomain_codes}
    for code in ("D2-B", "D3-C"):
        cohort_shift[code] -= 0.6

    sittings: list[tuple[Attempt, list[dict[str, Any]]]] = []
    for student in students:
        base = rng.gauss(0.55, 0.75)
        domain_shift = {d.code: rng.gauss(0.0, 0.35) for d in blueprint.domains}
        ability = {
            s.code: base + domain_shift[d.code] + cohort_shift[s.code] + rng.gauss(0.0, 0.45)
            for d in blueprint.domains
            for s in d.subdomains
        }
        growth = rng.uniform(0.0, 0.25)
        seen: Counter[str] = Counter()
        for number, assignment in enumerate(assignments[:DEMO_PAST_MOCKS]):
            if rng.random() < 0.08:
                continue  # this student missed this mock
            started = assignment.opens_at + timedelta(minutes=rng.uniform(60, 4 * 24 * 60))
            seed = rng.randrange(2**31)
            # As start_attempt: the same pool, blueprint, spec, seed and seen counts.
            form = assemble(index, blueprint, spec, seed=seed, seen=seen)
            seen.update(item.key for item in form.items)
            multiplier = multipliers[student.id]
            deadline = attempts.deadline_for(started, template.minutes, multiplier)
            expired = rng.random() < 0.05
            limit = template.minutes * multiplier
            used = limit if expired else rng.uniform(0.5, 0.97) * limit
            attempt = Attempt(
                user_id=student.id,
                template_id=template.id,
                assignment_id=assignment.id,
                seed=seed,
                mode=template.mode,
                kind=AttemptKind.MOCK,
                status=AttemptStatus.EXPIRED if expired else AttemptStatus.SUBMITTED,
                started_at=started,
                deadline_at=deadline,
                # As finalize: an expired attempt ends at its deadline.
                submitted_at=min(started + timedelta(minutes=used), deadline),
            )
            rows = _answers(
                rng,
                form.items,
                versions,
                ability,
                growth * number,
                started=started,
                used_minutes=used,
                blank_tail=expired,
            )
            sittings.append((attempt, rows))
    session.add_all(attempt for attempt, _ in sittings)
    session.flush()

    session.execute(
        insert(AttemptItem),
        [
            {"attempt_id": attempt.id, **{k: v for k, v in row.items() if k != "response"}}
            for attempt, rows in sittings
            for row in rows
        ],
    )
    item_ids = {
        (attempt_id, position): item_id
        for item_id, attempt_id, position in session.execute(
            select(AttemptItem.id, AttemptItem.attempt_id, AttemptItem.position).where(
                AttemptItem.attempt_id.in_([attempt.id for attempt, _ in sittings])
            )
        ).tuples()
    }
    responses = [
        {"attempt_item_id": item_ids[(attempt.id, row["position"])], **row["response"]}
        for attempt, rows in sittings
        for row in rows
        if row["response"] is not None
    ]
    if responses:
        session.execute(insert(Response), responses)
    for attempt, _ in sittings:
        attempt.result = attempts.grade_attempt(session, attempt)
    echo(
        f"demo cohort: {DEMO_COHORT!r} (id {cohort.id}) with {len(students)} simulated "
        f"students, {len(sittings)} finished mocks, and candidate@example.com as a student"
    )
    return True


def _answers(
    rng: random.Random,
    items: Sequence[FormItem],
    versions: dict[int, Any],
    ability: dict[str, float],
    growth: float,
    *,
    started: datetime,
    used_minutes: float,
    blank_tail: bool,
) -> list[dict[str, Any]]:
    """Simulate one sitting: attempt_items rows, each with the save that set its answer."""
    # A student whose time ran out left the last few questions blank.
    cutoff = len(items) - rng.randint(3, 12) if blank_tail else len(items)
    step = used_minutes / max(1, len(items))
    rows: list[dict[str, Any]] = []
    seq = 0
    for item in items:
        version = versions[item.version_id]
        row: dict[str, Any] = {
            "position": item.position,
            "question_id": version.question_id,
            "question_version_id": item.version_id,
            "option_order": list(item.option_order),
            "choice": None,
            "flagged": False,
            "last_seq": 0,
            "saved_at": None,
            "response": None,
        }
        rows.append(row)
        if item.position > cutoff or rng.random() < 0.015:
            continue
        shift, pull = _item_profile(item.key)
        theta = ability.get(version.subdomain, 0.0) + growth
        level = DIFFICULTY_LOGIT.get(version.difficulty, 0.0)
        if rng.random() < _logistic(theta - level - shift):
            choice = version.answer_index
        else:
            wrong = [option for option in range(4) if option != version.answer_index]
            choice = rng.choices(wrong, weights=[pull[option] for option in wrong])[0]
        seq += 1
        saved_at = started + timedelta(minutes=step * (item.position - rng.random() * 0.5))
        flagged = rng.random() < 0.04
        # As save_response: the item holds the latest save, and the save itself is kept.
        row.update(choice=choice, flagged=flagged, last_seq=seq, saved_at=saved_at)
        row["response"] = {"seq": seq, "choice": choice, "flagged": flagged, "saved_at": saved_at}
    return rows
