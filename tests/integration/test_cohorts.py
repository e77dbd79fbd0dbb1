"""Cohort services: join codes, rosters, assignments, the scorecard and its CSV, demo, CLI."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exam_engine.models import (
    Assignment,
    Attempt,
    AttemptItem,
    AuditEvent,
    Cohort,
    CohortInvitation,
    Membership,
    PreparedForm,
    QuestionVersion,
    Response,
    User,
    utcnow,
)
from exam_engine.services import attempts, cohorts
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import CohortFactory, MembershipFactory, UserFactory
from tests.support import add_template, seed_bank, student_of

NOW = utcnow().replace(microsecond=0)
GRACE = 30


def counts(session):
    return (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(Membership)),
        session.scalar(select(func.count()).select_from(CohortInvitation)),
    )


# --- cohorts and join codes -----------------------------------------------------------------


def test_create_cohort_makes_the_creator_its_instructor(session, instructor, cohort) -> None:
    membership = session.scalar(select(Membership).where(Membership.cohort_id == cohort.id))
    assert (membership.user_id, membership.role) == (instructor.id, "instructor")
    assert cohorts.can_manage(session, instructor.id, cohort.id)
    assert session.scalar(select(AuditEvent.action)) == "cohort.create"


def test_only_instructors_create_cohorts_and_names_are_checked(session, instructor) -> None:
    with pytest.raises(ValidationFailed, match="not an instructor account"):
        cohorts.create_cohort(session, "Mine", UserFactory().id)
    with pytest.raises(ValidationFailed, match="give the cohort a name"):
        cohorts.create_cohort(session, "   ", instructor.id)
    with pytest.raises(ValidationFailed, match="at most 120"):
        cohorts.create_cohort(session, "x" * 121, instructor.id)
    assert session.scalar(select(func.count()).select_from(Cohort)) == 0


def test_other_instructors_and_students_cannot_manage(session, cohort) -> None:
    other = UserFactory(role="instructor")
    student = student_of(cohort)
    admin = UserFactory(role="admin")
    for user in (other, student):
        with pytest.raises(NotFound, match=f"cohort {cohort.id} not found"):
            cohorts.managed_cohort(session, user.id, cohort.id)
    assert cohorts.managed_cohort(session, admin.id, cohort.id).id == cohort.id
    with pytest.raises(NotFound):
        cohorts.managed_cohort(session, admin.id, 999_999)


def test_join_code_lets_a_candidate_join_once(session, instructor, cohort) -> None:
    code = cohorts.new_join_code(session, instructor.id, cohort, now=NOW, days=7)
    assert len(code) == 10
    assert set(code) <= set(cohorts.JOIN_ALPHABET)
    student = UserFactory()
    typed = f" {code[:4].lower()}-{code[4:]} "
    joined, added = cohorts.join_by_code(session, student.id, typed, now=NOW)
    assert (joined.id, added) == (cohort.id, True)
    again, added = cohorts.join_by_code(session, student.id, code, now=NOW)
    assert (again.id, added) == (cohort.id, False)
    assert session.scalar(select(func.count()).select_from(Membership)) == 2


def test_join_code_expires(session, instructor, cohort) -> None:
    code = cohorts.new_join_code(session, instructor.id, cohort, now=NOW, days=3)
    late = NOW + timedelta(days=3)
    assert cohorts.cohort_for_code(session, code, now=late - timedelta(seconds=1)).id == cohort.id
    with pytest.raises(Conflict, match=f"the join code {code} expired on .* UTC"):
        cohorts.join_by_code(session, UserFactory().id, code, now=late)
    assert session.scalar(select(func.count()).select_from(Membership)) == 1


def test_a_new_code_replaces_the_old_and_revoking_stops_it(session, instructor, cohort) -> None:
    old = cohorts.new_join_code(session, instructor.id, cohort, now=NOW, days=7)
    new = cohorts.new_join_code(session, instructor.id, cohort, now=NOW, days=7)
    assert old != new
    with pytest.raises(NotFound, match="no cohort has the join code"):
        cohorts.cohort_for_code(session, old, now=NOW)
    cohorts.revoke_join_code(session, instructor.id, cohort)
    with pytest.raises(NotFound):
        cohorts.cohort_for_code(session, new, now=NOW)
    with pytest.raises(ValidationFailed, match="enter the join code"):
        cohorts.cohort_for_code(session, " - ", now=NOW)


@pytest.mark.parametrize("days", [0, 91])
def test_join_code_lifetime_is_bounded(session, instructor, cohort, days) -> None:
    with pytest.raises(ValidationFailed, match="1 to 90 days"):
        cohorts.new_join_code(session, instructor.id, cohort, now=NOW, days=days)
    session.refresh(cohort)
    assert cohort.join_code is None


def test_instructors_do_not_join_as_students(session, instructor, cohort) -> None:
    code = cohorts.new_join_code(session, instructor.id, cohort, now=NOW, days=7)
    with pytest.raises(Conflict, match="you already teach"):
        cohorts.join_by_code(session, instructor.id, code, now=NOW)
    with pytest.raises(Conflict, match="only candidate accounts"):
        cohorts.join_by_code(session, UserFactory(role="instructor").id, code, now=NOW)


# --- rosters --------------------------------------------------------------------------------


def test_roster_invites_everyone_and_enrols_nobody(session, instructor, cohort) -> None:
    known = UserFactory(email="known@example.com", name="Known Person")
    UserFactory(email="staff@example.com", role="instructor")
    already = student_of(cohort, email="already@example.com")
    users_before = counts(session)[0]
    text = (
        "email,name\n"
        "Known@Example.com,Ignored Name\n"
        "new.person@example.com,  New Person \n"
        "staff@example.com,Staff\n"
        "\n"
        "already@example.com,\n"
    )
    report = cohorts.upload_roster(session, instructor.id, cohort, text, now=NOW)
    # A staff account, a candidate and an unknown email get the very same outcome.
    assert [r.email for r in report.invited] == [
        "known@example.com",
        "new.person@example.com",
        "staff@example.com",
    ]
    assert [r.email for r in report.already_member] == [already.email]
    assert report.already_invited == report.declined == []
    assert counts(session)[0] == users_before  # no account is made for anyone
    session.refresh(known)
    assert known.name == "Known Person"  # an existing account is never changed
    students = {m.email for m in cohorts.members(session, cohort.id) if m.role == "student"}
    assert students == {"already@example.com"}  # nobody joins before accepting
    stored = {
        i.email: (i.status, i.name, i.invited_by_id)
        for i in session.scalars(select(CohortInvitation))
    }
    assert stored == {
        "known@example.com": ("pending", "Ignored Name", instructor.id),
        "new.person@example.com": ("pending", "New Person", instructor.id),
        "staff@example.com": ("pending", "Staff", instructor.id),
    }
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "cohort.roster"))
    assert "known@example.com" not in str(event.details) + event.summary

    again = cohorts.upload_roster(session, instructor.id, cohort, text, now=NOW)
    assert [r.email for r in again.already_invited] == [r.email for r in report.invited]
    assert again.invited == []


def test_roster_without_header_and_with_columns_swapped(session, instructor, cohort) -> None:
    cohorts.upload_roster(
        session, instructor.id, cohort, "a@example.com,Ann\nb@example.com\n", now=NOW
    )
    cohorts.upload_roster(
        session, instructor.id, cohort, "name,email\nCid,c@example.com\n", now=NOW
    )
    names = {i.email: i.name for i in session.scalars(select(CohortInvitation))}
    assert names == {"a@example.com": "Ann", "b@example.com": "", "c@example.com": "Cid"}


def test_roster_with_bad_rows_adds_nothing_and_names_every_line(
    session, instructor, cohort
) -> None:
    UserFactory(email="boss@example.com", role="admin")
    before = counts(session)
    text = (
        "email,name\n"
        "good@example.com,Good\n"
        "not-an-email,Bad\n"
        ",No Email\n"
        "good@example.com,Twice\n"
        "x@example.com,Too,Many\n"
        f"long@example.com,{'n' * 121}\n"
    )
    with pytest.raises(cohorts.RosterRejected) as caught:
        cohorts.upload_roster(session, instructor.id, cohort, text, now=NOW)
    assert caught.value.problems == (
        "line 3: 'not-an-email' is not a valid email address",
        "line 4: the email is missing",
        "line 5: good@example.com is already on line 2",
        "line 6: expected 2 columns (email, name), got 3",
        "line 7: the name is longer than 120 characters",
    )
    assert "nothing was added" in str(caught.value)
    assert counts(session) == before
    assert session.scalar(select(func.count()).select_from(CohortInvitation)) == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "line 1: the roster is empty"),
        ("email,name\n\n", "line 1: the roster is empty"),
        ("email,phone\na@example.com,1\n", "line 1: unknown column 'phone'"),
        ('a@example.com,"unterminated\n', "unreadable CSV"),
    ],
)
def test_roster_problems_of_the_whole_file(session, instructor, cohort, text, problem) -> None:
    before = counts(session)
    with pytest.raises(cohorts.RosterRejected, match=problem):
        cohorts.upload_roster(session, instructor.id, cohort, text, now=NOW)
    assert counts(session) == before


def test_roster_size_limit_and_encoding(session, instructor, cohort, monkeypatch) -> None:
    monkeypatch.setattr(cohorts.roster, "ROSTER_MAX_ROWS", 2)
    with pytest.raises(cohorts.RosterRejected, match="line 3: at most 2 students"):
        cohorts.parse_roster("a@example.com\nb@example.com\nc@example.com\n")
    assert cohorts.decode_upload("\ufeffa@example.com,Zoë".encode()) == "a@example.com,Zoë"
    with pytest.raises(ValidationFailed, match="not UTF-8 text"):
        cohorts.decode_upload(b"a@example.com,Zo\xeb\n")


def test_remove_student_and_set_multiplier(session, instructor, cohort) -> None:
    student = student_of(cohort)
    other = UserFactory()
    cohorts.set_student_multiplier(session, instructor.id, cohort, student.id, 1.5)
    session.refresh(student)
    assert student.time_multiplier == 1.0  # the account's own stays the admin's
    assert cohorts.student_membership(session, cohort.id, student.id).time_multiplier == 1.5
    with pytest.raises(ValidationFailed, match="between 1.0 and 4.0"):
        cohorts.set_student_multiplier(session, instructor.id, cohort, student.id, 4.5)
    with pytest.raises(NotFound, match="not a student of cohort"):
        cohorts.set_student_multiplier(session, instructor.id, cohort, other.id, 2.0)
    with pytest.raises(NotFound):
        cohorts.remove_student(session, instructor.id, cohort, instructor.id)
    cohorts.remove_student(session, instructor.id, cohort, student.id)
    assert [m.role for m in cohorts.members(session, cohort.id)] == ["instructor"]
    assert session.get(User, student.id) is not None


# --- CLI ------------------------------------------------------------------------------------


def test_cli_create_prints_the_id_and_enroll_adds_students(app, session, instructor) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["cohort", "create", "CLI cohort", "--instructor", instructor.email]
    )
    assert result.exit_code == 0, result.output
    cohort_id = int(result.output.strip())
    assert session.get(Cohort, cohort_id).name == "CLI cohort"
    UserFactory(email="s1@example.com")
    UserFactory(email="s2@example.com")
    result = runner.invoke(
        args=["cohort", "enroll", str(cohort_id), "s1@example.com", "S2@example.com"]
    )
    assert result.exit_code == 0, result.output
    assert "enrolled 2 students" in result.output
    again = runner.invoke(args=["cohort", "enroll", str(cohort_id), "s1@example.com"])
    assert again.exit_code == 0
    assert "1 already enrolled" in again.output
    assert len([m for m in cohorts.members(session, cohort_id) if m.role == "student"]) == 2


def test_cli_errors_exit_1_and_enrol_nobody(app, session, instructor) -> None:
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["cohort", "create", "X", "--instructor", "nobody@example.com"])
    assert missing.exit_code == 1
    assert "no account for nobody@example.com" in missing.output
    candidate = UserFactory(email="cand@example.com")
    refused = runner.invoke(args=["cohort", "create", "X", "--instructor", candidate.email])
    assert refused.exit_code == 1
    assert "not an instructor account" in refused.output
    cohort = cohorts.create_cohort(session, "Real", instructor.id)
    partial = runner.invoke(
        args=["cohort", "enroll", str(cohort.id), "cand@example.com", "ghost@example.com"]
    )
    assert partial.exit_code == 1
    assert "no account for ghost@example.com" in partial.output
    assert [m.role for m in cohorts.members(session, cohort.id)] == ["instructor"]
    unknown = runner.invoke(args=["cohort", "enroll", "999999", "cand@example.com"])
    assert unknown.exit_code == 1
    assert "cohort 999999 not found" in unknown.output
    usage = runner.invoke(args=["cohort", "enroll", str(cohort.id)])
    assert usage.exit_code == 2


# --- assignments ----------------------------------------------------------------------------


@pytest.fixture
def bank(session):
    seed_bank(session, per_subdomain=4)
    return add_template(session, "mini", item_count=6, minutes=10)


def assign(session, instructor, cohort, *, opens=NOW - timedelta(hours=1), hours=48, name="mini"):
    return cohorts.create_assignment(
        session,
        instructor.id,
        cohort,
        name,
        opens_at=opens,
        closes_at=opens + timedelta(hours=hours),
    )


def test_assignment_window_and_template_are_checked(session, bank, instructor, cohort) -> None:
    with pytest.raises(ValidationFailed, match="must close after it opens"):
        assign(session, instructor, cohort, hours=0)
    with pytest.raises(ValidationFailed, match="practice set, not a timed mock"):
        assign(session, instructor, cohort, name="drill-d1")
    with pytest.raises(NotFound, match="template 'nope' not found"):
        assign(session, instructor, cohort, name="nope")
    assert session.scalar(select(func.count()).select_from(Assignment)) == 0


def test_start_assignment_only_inside_its_window(session, bank, instructor, cohort) -> None:
    student = UserFactory()
    MembershipFactory(cohort=cohort, user=student, role="student", time_multiplier=1.5)
    upcoming = assign(session, instructor, cohort, opens=NOW + timedelta(hours=2))
    closed = assign(session, instructor, cohort, opens=NOW - timedelta(days=3), hours=24)
    current = assign(session, instructor, cohort)
    with pytest.raises(Conflict, match="opens at .* UTC"):
        cohorts.start_assignment(session, student.id, upcoming.id, now=NOW, grace_seconds=GRACE)
    with pytest.raises(Conflict, match="closed at .* UTC"):
        cohorts.start_assignment(session, student.id, closed.id, now=NOW, grace_seconds=GRACE)
    assert session.scalar(select(func.count()).select_from(Attempt)) == 0
    attempt = cohorts.start_assignment(
        session, student.id, current.id, now=NOW, grace_seconds=GRACE
    )
    assert attempt.assignment_id == current.id
    assert len(attempt.items) == 6
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=15)
    resumed = cohorts.start_assignment(
        session, student.id, current.id, now=NOW, grace_seconds=GRACE
    )
    assert resumed.id == attempt.id
    attempts.submit_attempt(session, student.id, attempt.id, now=NOW, grace_seconds=GRACE)
    with pytest.raises(Conflict, match="already sat this assigned mock"):
        cohorts.start_assignment(session, student.id, current.id, now=NOW, grace_seconds=GRACE)


def test_only_students_of_the_cohort_start_its_assignments(session, bank, instructor, cohort):
    assignment = assign(session, instructor, cohort)
    for outsider in (UserFactory(), instructor):
        with pytest.raises(NotFound, match=f"assignment {assignment.id} not found"):
            cohorts.start_assignment(
                session, outsider.id, assignment.id, now=NOW, grace_seconds=GRACE
            )


def test_withdrawing_an_assignment_with_attempts_is_refused(session, bank, instructor, cohort):
    student = student_of(cohort)
    used = assign(session, instructor, cohort)
    unused = assign(session, instructor, cohort)
    cohorts.start_assignment(session, student.id, used.id, now=NOW, grace_seconds=GRACE)
    with pytest.raises(Conflict, match="has 1 attempt"):
        cohorts.delete_assignment(session, instructor.id, cohort, used.id)
    cohorts.delete_assignment(session, instructor.id, cohort, unused.id)
    other = cohorts.create_cohort(session, "Other", instructor.id)
    with pytest.raises(NotFound):
        cohorts.delete_assignment(session, instructor.id, other, used.id)
    assert [line.assignment.id for line in cohorts.assignment_lines(session, cohort.id)] == [
        used.id
    ]


def test_assigned_to_lists_open_then_upcoming_then_recent(session, bank, instructor, cohort):
    student = student_of(cohort)
    membership = session.scalar(select(Membership).where(Membership.user_id == student.id))
    membership.joined_at = NOW - timedelta(days=60)  # a member since before every window
    session.commit()
    later = assign(session, instructor, cohort, opens=NOW + timedelta(days=1))
    now_open = assign(session, instructor, cohort)
    recent = assign(session, instructor, cohort, opens=NOW - timedelta(days=3), hours=24)
    assign(session, instructor, cohort, opens=NOW - timedelta(days=40), hours=24)  # too old
    other_cohort = CohortFactory()
    cohorts.create_assignment(
        session,
        instructor.id,
        other_cohort,
        "mini",
        opens_at=NOW,
        closes_at=NOW + timedelta(days=1),
    )
    mocks = cohorts.assigned_to(session, student.id, now=NOW)
    assert [(m.assignment_id, m.state, m.action) for m in mocks] == [
        (now_open.id, "open", "start"),
        (later.id, "upcoming", None),
        (recent.id, "closed", None),
    ]
    attempt = cohorts.start_assignment(
        session, student.id, now_open.id, now=NOW, grace_seconds=GRACE
    )
    assert cohorts.assigned_to(session, student.id, now=NOW)[0].action == "resume"
    attempts.submit_attempt(session, student.id, attempt.id, now=NOW, grace_seconds=GRACE)
    first = cohorts.assigned_to(session, student.id, now=NOW)[0]
    assert (first.action, first.attempt_id) == ("results", attempt.id)


def test_a_window_that_closed_before_the_student_joined_is_not_listed_as_missed(
    session, bank, instructor, cohort
):
    early = student_of(cohort)
    membership = session.scalar(select(Membership).where(Membership.user_id == early.id))
    membership.joined_at = NOW - timedelta(days=10)
    session.commit()
    closed = assign(session, instructor, cohort, opens=NOW - timedelta(days=3), hours=24)
    now_open = assign(session, instructor, cohort)
    late = student_of(cohort)  # joins now, after the first window closed
    assert [m.assignment_id for m in cohorts.assigned_to(session, late.id, now=NOW)] == [
        now_open.id
    ]
    listed = cohorts.assigned_to(session, early.id, now=NOW)
    assert [(m.assignment_id, m.state) for m in listed] == [
        (now_open.id, "open"),
        (closed.id, "closed"),
    ]


# --- scorecard and CSV ----------------------------------------------------------------------


def sit(session, student, assignment, choices, *, now=NOW):
    """Start an assignment, answer each position with its stored-index choice, submit."""
    attempt = cohorts.start_assignment(
        session, student.id, assignment.id, now=now, grace_seconds=GRACE
    )
    for item in attempt.items:
        stored = choices(item)
        if stored is None:
            continue
        shown = attempts.stored_to_choice(item, stored)
        attempts.save_response(
            session,
            student.id,
            attempt.id,
            item.position,
            choice=shown,
            flagged=False,
            seq=item.position,
            now=now,
            grace_seconds=GRACE,
        )
    attempts.submit_attempt(session, student.id, attempt.id, now=now, grace_seconds=GRACE)
    return attempt


@pytest.fixture
def graded_cohort(session, bank, instructor, cohort):
    """Three students, two mocks: right, wrong (always option+1) and blank answers mixed."""
    versions = {v.id: v for v in session.scalars(select(QuestionVersion))}

    def right(item):
        return versions[item.question_version_id].answer_index

    def wrong(item):
        return (right(item) + 1) % 4

    first = assign(session, instructor, cohort, opens=NOW - timedelta(days=2), hours=72)
    second = assign(session, instructor, cohort, opens=NOW - timedelta(days=1), hours=72)
    ann = student_of(cohort, email="ann@example.com", name="Ann")
    bob = student_of(cohort, email="bob@example.com", name="=Bob")  # formula-like name
    student_of(cohort, email="cid@example.com", name="Cid")  # never sits anything
    sit(session, ann, first, right)
    sit(session, ann, second, lambda item: right(item) if item.position % 2 else wrong(item))
    sit(session, bob, first, lambda item: wrong(item) if item.position <= 4 else None)
    outsider = UserFactory(email="out@example.com")
    MembershipFactory(cohort=CohortFactory(), user=outsider)
    return versions


def independent_scores(session, cohort):
    """Per student email: {code: (correct, total)} from attempt_items and versions directly."""
    rows = session.execute(
        select(
            User.email,
            QuestionVersion.domain,
            QuestionVersion.subdomain,
            AttemptItem.choice,
            QuestionVersion.answer_index,
        )
        .join(Attempt, Attempt.user_id == User.id)
        .join(Assignment, Assignment.id == Attempt.assignment_id)
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(Assignment.cohort_id == cohort.id, Attempt.status != "in_progress")
    )
    scores: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for email, domain, sub, choice, answer in rows:
        for code in (domain, sub, "overall"):
            scores[email][code][0] += choice is not None and choice == answer
            scores[email][code][1] += 1
    return scores


def parse_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_scorecard_csv_matches_independent_scores(session, graded_cohort, cohort) -> None:
    view = cohorts.scorecard(session, cohort, target=0.65, sort="overall", descending=True)
    rows = parse_csv(cohorts.scorecard_csv(view))
    expected = independent_scores(session, cohort)
    assert [r["email"] for r in rows] == ["ann@example.com", "bob@example.com", "cid@example.com"]
    assert rows[1]["name"] == "'=Bob"  # neutralised for spreadsheets
    codes = view.domain_codes + view.subdomain_codes
    for row in rows:
        mine = expected.get(row["email"], {})
        correct, total = mine.get("overall", [0, 0])
        assert (row["overall_correct"], row["overall_total"]) == (str(correct), str(total))
        for code in codes:
            c, n = mine.get(code, [0, 0])
            assert row[code] == (f"{100 * c / n:.1f}" if n else ""), (row["email"], code)
    assert rows[0]["mocks_finished"] == "2"
    assert rows[2]["mocks_finished"] == "0"
    assert rows[0]["overall_percent"] == f"{100 * 9 / 12:.1f}"
    statuses = {r["D1-A status"] for r in rows}
    assert statuses <= {"weak", "strong", "needs more items"}


def test_attempts_csv_has_one_row_per_student_attempt(session, graded_cohort, cohort) -> None:
    rows = parse_csv(cohorts.attempts_csv(session, cohort))
    assert [(r["email"], r["mock"], r["status"]) for r in rows] == [
        ("ann@example.com", "1", "submitted"),
        ("bob@example.com", "1", "submitted"),
        ("ann@example.com", "2", "submitted"),
    ]
    for row in rows:
        attempt = session.get(Attempt, int(row["attempt_id"]))
        items = session.execute(
            select(AttemptItem.choice, QuestionVersion.answer_index, QuestionVersion.subdomain)
            .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
            .where(AttemptItem.attempt_id == attempt.id)
        ).all()
        correct = sum(c is not None and c == a for c, a, _ in items)
        assert (row["correct"], row["total"]) == (str(correct), str(len(items)))
        by_sub = Counter(s for _, _, s in items)
        for sub, n in by_sub.items():
            c = sum(ch is not None and ch == a for ch, a, s in items if s == sub)
            assert row[sub] == f"{100 * c / n:.1f}"
    assert rows[1]["correct"] == "0"
    assert rows[0]["percent"] == "100.0"


def test_attempts_csv_carries_ability_once_calibrated(session, graded_cohort, cohort) -> None:
    from exam_engine.models import utcnow
    from exam_engine.services import calibration
    from tests.support.irt import simulate

    rows = parse_csv(cohorts.attempts_csv(session, cohort))
    assert all(r["ability"] == r["ability_se"] == r["D1 ability"] == "" for r in rows)
    simulate(session, list(graded_cohort.values()), persons=35)
    calibration.recalibrate(session, now=utcnow())
    rows = parse_csv(cohorts.attempts_csv(session, cohort))
    weights = {"D1": 28.0, "D2": 28.0, "D3": 34.0}
    scale = calibration.current_scale(session, min_attempts=30, weights=weights)
    for row in rows:
        attempt_id = int(row["attempt_id"])
        responses = calibration.attempt_responses(session, [attempt_id])[attempt_id]
        expected = calibration.ability_of(scale, responses)
        # Three decimals of the same value computed two ways (batched, one by one), which may
        # differ in the last bits: a rounding either side of a half is the same estimate.
        written = pytest.approx(expected.overall.theta, abs=0.0005 + 1e-9)
        assert float(row["ability"]) == written
        assert float(row["ability_se"]) == pytest.approx(expected.overall.se, abs=0.0005 + 1e-9)
        for code in ("D1", "D2", "D3"):
            theta = expected.by_domain[code].theta
            assert float(row[f"{code} ability"]) == pytest.approx(theta, abs=0.0005 + 1e-9)
        assert row["percent"]  # percent correct stays beside it
    # Ann's all-right first mock sits above Bob's all-wrong one on the one scale.
    assert float(rows[0]["ability"]) > float(rows[1]["ability"])
    # The CSV's batched estimates are the one-attempt ones (all right, mixed, with blanks).
    ids = [int(row["attempt_id"]) for row in rows]
    batched = cohorts.sitting_abilities(session, ids)
    assert set(batched.by_id) == set(ids)
    for attempt_id in ids:
        responses = calibration.attempt_responses(session, [attempt_id])[attempt_id]
        expected = calibration.ability_of(scale, responses)
        got = batched.of(attempt_id)
        assert got.overall.items == expected.overall.items == len(responses)
        assert got.overall.theta == pytest.approx(expected.overall.theta, abs=1e-9)
        assert got.overall.se == pytest.approx(expected.overall.se, abs=1e-9)
        assert sorted(got.by_domain) == sorted(expected.by_domain)
        for code, estimate in expected.by_domain.items():
            assert got.by_domain[code].theta == pytest.approx(estimate.theta, abs=1e-9)
            assert got.by_domain[code].se == pytest.approx(estimate.se, abs=1e-9)
        assert got.pass_probability == pytest.approx(expected.pass_probability, abs=1e-9)
        # Both round the same scaled value; a value on a half may round either way.
        assert abs(got.scaled_estimate - expected.scaled_estimate) <= 1
        assert (got.cut, got.model, got.stale) == (expected.cut, expected.model, expected.stale)


def test_scorecard_aggregates_missed_items_and_completion(session, graded_cohort, cohort) -> None:
    view = cohorts.scorecard(session, cohort, target=0.65)
    assert [(c.finished, c.in_progress, c.not_started) for c in view.card.completion] == [
        (2, 0, 1),
        (1, 0, 2),
    ]
    # Independently: every version's answers across the counted attempts.
    answered: dict[int, Counter] = defaultdict(Counter)
    for vid, choice in session.execute(
        select(AttemptItem.question_version_id, AttemptItem.choice)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.assignment_id.is_not(None))
    ):
        answered[vid][choice] += 1
    assert view.missed, "some items were missed"
    for missed in view.missed:
        versions = graded_cohort[missed.item.version_id]
        tally = answered[missed.item.version_id]
        assert missed.item.shown == sum(tally.values())
        assert missed.item.missed == sum(tally.values()) - tally[versions.answer_index]
        wrong = {c: n for c, n in tally.items() if c is not None and c != versions.answer_index}
        if wrong:
            assert tally[missed.item.top_distractor] == max(wrong.values())
            assert missed.distractor_text == versions.options[missed.item.top_distractor]
        assert missed.key_text == versions.options[versions.answer_index]


def test_scorecard_sort_is_validated(session, graded_cohort, cohort) -> None:
    names = [r.student.label for r in cohorts.scorecard(session, cohort, target=0.65).rows]
    assert names == ["=Bob", "Ann", "Cid"]
    by_d1a = cohorts.scorecard(session, cohort, target=0.65, sort="D1-A").rows
    assert by_d1a[-1].student.label == "Cid"
    with pytest.raises(ValidationFailed, match="sort: 'email' is not a column"):
        cohorts.scorecard(session, cohort, target=0.65, sort="email")


def test_removed_students_drop_out_of_the_scorecard(session, graded_cohort, cohort, instructor):
    bob = session.scalar(select(User).where(User.email == "bob@example.com"))
    cohorts.remove_student(session, instructor.id, cohort, bob.id)
    view = cohorts.scorecard(session, cohort, target=0.65)
    assert {view.students[r.student.id].email for r in view.rows} == {
        "ann@example.com",
        "cid@example.com",
    }
    assert view.card.completion[0].finished == 1
    assert all(m.item.shown <= 2 for m in view.missed)
    assert "bob@example.com" not in cohorts.attempts_csv(session, cohort)


def test_overdue_attempts_are_finalized_before_counting(session, bank, instructor, cohort):
    student = student_of(cohort)
    assignment = assign(session, instructor, cohort)
    attempt = cohorts.start_assignment(
        session, student.id, assignment.id, now=NOW, grace_seconds=GRACE
    )
    assert cohorts.finalize_overdue(session, cohort.id, now=NOW, grace_seconds=GRACE) == 0
    later = NOW + timedelta(minutes=11)
    assert cohorts.finalize_overdue(session, cohort.id, now=later, grace_seconds=GRACE) == 1
    session.refresh(attempt)
    assert attempt.status == "expired"
    assert attempt.result["score"]["total"] == 6


def test_cohort_attempt_and_student_checks(session, graded_cohort, cohort, instructor) -> None:
    ann = session.scalar(select(User).where(User.email == "ann@example.com"))
    sittings = cohorts.student_attempts(session, cohort, ann.id)
    assert [s.line.number for s in sittings] == [1, 2]
    attempt, info = cohorts.cohort_attempt(session, cohort, sittings[0].attempt.id)
    assert (attempt.user_id, info.email) == (ann.id, "ann@example.com")
    other = cohorts.create_cohort(session, "Other", instructor.id)
    with pytest.raises(NotFound, match="not found in this cohort"):
        cohorts.cohort_attempt(session, other, attempt.id)
    practice = attempts.start_attempt(session, ann.id, "mini", now=NOW)
    with pytest.raises(NotFound):
        cohorts.cohort_attempt(session, cohort, practice.id)
    with pytest.raises(NotFound):
        cohorts.student_in_cohort(session, cohort, instructor.id)


# --- the demo cohort ------------------------------------------------------------------------


def test_demo_cohort_is_populated_faithful_and_idempotent(app, session) -> None:
    from exam_engine.services import demo

    seed = app.test_cli_runner().invoke(args=["demo", "--skip-migrate"])
    assert seed.exit_code == 0, seed.output
    cohort = session.scalar(select(Cohort).where(Cohort.name == demo.DEMO_COHORT))
    members = cohorts.members(session, cohort.id)
    emails = {m.email for m in members if m.role == "student"}
    assert "candidate@example.com" in emails
    assert demo.demo_student_email(1) in emails
    assert len(emails) == demo.DEMO_STUDENTS + 1
    assert [m.email for m in members if m.role == "instructor"] == ["instructor@example.com"]
    finished = session.scalars(
        select(Attempt).where(Attempt.assignment_id.is_not(None)).order_by(Attempt.id)
    ).all()
    assert len(finished) > demo.DEMO_STUDENTS * 3
    assert all(a.status in ("submitted", "expired") for a in finished)
    # The open window's form is ready for the candidate before they press Start.
    candidate = session.scalar(select(User.id).where(User.email == "candidate@example.com"))
    assert session.scalar(select(PreparedForm.user_id).where(PreparedForm.user_id == candidate))
    # The candidate joined today: the open window is theirs, the past ones were not missed.
    shown = cohorts.assigned_to(session, candidate, now=utcnow())
    assert [m.state for m in shown] == ["open"]

    # What the services would store: the result grades the items, every save is kept.
    for attempt in finished[:5]:
        assert attempt.result == attempts.grade_attempt(session, attempt)
        for item in attempt.items:
            assert sorted(item.option_order) == [0, 1, 2, 3]
            saves = session.scalars(
                select(Response).where(Response.attempt_item_id == item.id)
            ).all()
            if item.choice is None:
                assert saves == []
                assert item.last_seq == 0
            else:
                (save,) = saves
                assert (save.seq, save.choice, save.flagged) == (
                    item.last_seq,
                    item.choice,
                    item.flagged,
                )
    # A student's first mock is the form start_attempt assembles for that seed and no history.
    first = finished[0]
    fresh = attempts.start_attempt(
        session, UserFactory().id, "aaism-full", now=NOW, seed=first.seed
    )
    assert [(i.question_version_id, i.option_order) for i in fresh.items] == [
        (i.question_version_id, i.option_order) for i in first.items
    ]
    # Scores vary: a plausible spread, not everyone alike.
    view = cohorts.scorecard(session, cohort, target=0.65)
    overall = [r.overall.percent for r in view.rows if r.overall.total]
    assert max(overall) - min(overall) > 20
    assert view.missed
    assert view.missed[0].item.top_distractor is not None

    totals = [session.scalar(select(func.count()).select_from(t)) for t in (User, Attempt, Cohort)]
    again = app.test_cli_runner().invoke(args=["demo", "--skip-migrate"])
    assert again.exit_code == 0
    assert "already there" in again.output
    assert [
        session.scalar(select(func.count()).select_from(t)) for t in (User, Attempt, Cohort)
    ] == totals


def test_cli_enrolls_a_co_instructor(app, session, instructor) -> None:
    cohort = cohorts.create_cohort(session, "Shared", instructor.id)
    co = UserFactory(email="co@example.com", role="instructor")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["cohort", "enroll", str(cohort.id), "co@example.com"])
    assert refused.exit_code == 1
    assert "is an instructor account, not a candidate" in refused.output
    result = runner.invoke(
        args=["cohort", "enroll", str(cohort.id), "co@example.com", "--role", "instructor"]
    )
    assert result.exit_code == 0
    assert "enrolled 1 instructor in" in result.output
    session.expire_all()
    assert cohorts.can_manage(session, co.id, cohort.id)
