"""Cohort pages: forms, bad input, exports, the dashboard panel, sorting and query counts."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from exam_engine.extensions import db
from exam_engine.models import Assignment, Attempt, Cohort, Membership, User, utcnow
from exam_engine.services import attempts, cohorts
from tests.factories import MembershipFactory, UserFactory
from tests.support import add_template, seed_bank


@pytest.fixture
def instructor(session):
    return UserFactory(email="teach@example.com", role="instructor", name="Tess Teacher")


@pytest.fixture
def cohort(session, instructor):
    return cohorts.create_cohort(session, "Evening group", instructor.id)


@pytest.fixture
def bank(session):
    seed_bank(session, per_subdomain=2)
    return add_template(session, "tiny", item_count=4, minutes=10)


def test_instructor_creates_a_cohort_through_the_form(client, session, instructor) -> None:
    client.login(instructor.email)
    empty = client.post("/cohorts/", data={"name": "  "})
    assert empty.status_code == 400
    assert "Give the cohort a name." in empty.get_data(as_text=True)
    response = client.post("/cohorts/", data={"name": "Spring 2026"})
    assert response.status_code == 303
    cohort = session.scalar(select(Cohort))
    assert response.location.endswith(f"/cohorts/{cohort.id}")
    page = client.get(response.location).get_data(as_text=True)
    assert "Spring 2026" in page
    assert "No students yet" in page


def test_join_code_flow_and_expiry(client, app, session, instructor, cohort) -> None:
    client.login(instructor.email)
    bad = client.post(f"/cohorts/{cohort.id}/join-code", data={"days": "500"})
    assert bad.status_code == 400
    assert "Between 1 and 90 days." in bad.get_data(as_text=True)
    assert client.post(f"/cohorts/{cohort.id}/join-code", data={"days": "2"}).status_code == 303
    session.refresh(cohort)
    code = cohort.join_code
    manage = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert code in manage
    assert f"/cohorts/join?code={code}" in manage
    client.post("/logout")

    UserFactory(email="stu@example.com")
    client.login("stu@example.com")
    shown = client.get(f"/cohorts/join?code={code.lower()}")
    assert shown.status_code == 200
    assert "Join Evening group" in shown.get_data(as_text=True)
    unknown = client.get("/cohorts/join?code=NOPE")
    assert unknown.status_code == 404
    assert "No cohort has the join code" in unknown.get_data(as_text=True)
    # Three days on, the code has expired: the page says so and nobody is added.
    later = utcnow() + timedelta(days=3)
    app.config["CLOCK"] = lambda: later
    try:
        expired = client.post("/cohorts/join", data={"code": code})
    finally:
        app.config.pop("CLOCK")
    assert expired.status_code == 409
    assert "expired on" in expired.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Membership)) == 1
    joined = client.post("/cohorts/join", data={"code": code})
    assert joined.status_code == 303
    assert joined.location.endswith("/dashboard")
    assert session.scalar(select(func.count()).select_from(Membership)) == 2


def test_join_without_csrf_is_refused(raw_client, session, instructor, cohort) -> None:
    code = cohorts.new_join_code(session, instructor.id, cohort, now=utcnow(), days=3)
    UserFactory(email="stu@example.com")
    page = raw_client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))[1]
    raw_client.post(
        "/login",
        data={"email": "stu@example.com", "password": "password-123456", "csrf_token": token},
    )
    assert raw_client.post("/cohorts/join", data={"code": code}).status_code == 400
    assert session.scalar(select(func.count()).select_from(Membership)) == 1


def test_roster_upload_bad_file_lists_lines_and_adds_nothing(client, session, instructor, cohort):
    client.login(instructor.email)
    users_before = session.scalar(select(func.count()).select_from(User))
    body = b"email,name\nok@example.com,Ok\nbroken,Bad\nok@example.com,Again\n"
    response = client.post(
        f"/cohorts/{cohort.id}/roster",
        data={"file": (io.BytesIO(body), "roster.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was added." in html
    assert "line 3: &#39;broken&#39; is not a valid email address" in html
    assert "line 4: ok@example.com is already on line 2" in html
    assert session.scalar(select(func.count()).select_from(User)) == users_before
    latin1 = client.post(
        f"/cohorts/{cohort.id}/roster",
        data={"file": (io.BytesIO("a@example.com,Zoë".encode("latin-1")), "r.csv")},
        content_type="multipart/form-data",
    )
    assert latin1.status_code == 400
    assert "not UTF-8 text" in latin1.get_data(as_text=True)
    nothing = client.post(f"/cohorts/{cohort.id}/roster", data={"text": "  "})
    assert nothing.status_code == 400
    assert "choose a CSV file" in nothing.get_data(as_text=True)


def test_roster_upload_invites_and_shows_no_password(client, session, instructor, cohort):
    UserFactory(email="known@example.com")
    UserFactory(email="boss@example.com", role="admin")
    client.login(instructor.email)
    users_before = session.scalar(select(func.count()).select_from(User))
    response = client.post(
        f"/cohorts/{cohort.id}/roster",
        data={
            "file": (
                io.BytesIO(b"known@example.com\nfresh@example.com,Fresh\nboss@example.com\n"),
                "r.csv",
            )
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "3 invited." in html
    assert "Nobody is enrolled until they accept" in html
    # Nothing tells an admin's email from a candidate's or an unknown one, and no password.
    assert "admin" not in html.lower().replace("/admin", "")
    assert "one-time" not in html.lower()
    assert "<code>" not in html
    assert session.scalar(select(func.count()).select_from(User)) == users_before
    assert session.scalar(select(func.count()).select_from(Membership)) == 1


def test_assignment_form_checks_the_window(client, session, bank, instructor, cohort) -> None:
    client.login(instructor.email)
    url = f"/cohorts/{cohort.id}/assignments"
    backwards = client.post(
        url,
        data={"template": "tiny", "opens_at": "2030-01-02T09:00", "closes_at": "2030-01-01T09:00"},
    )
    assert backwards.status_code == 400
    assert "the window must close after it opens" in backwards.get_data(as_text=True)
    missing = client.post(url, data={"template": "tiny", "opens_at": "", "closes_at": ""})
    assert missing.status_code == 400
    assert "Give the opening date" in missing.get_data(as_text=True)
    practice = client.post(
        url,
        data={
            "template": "drill-d1",
            "opens_at": "2030-01-01T09:00",
            "closes_at": "2030-01-02T09:00",
        },
    )
    assert practice.status_code == 400  # not offered: practice sets are not mocks
    assert session.scalar(select(func.count()).select_from(Assignment)) == 0
    ok = client.post(
        url,
        data={"template": "tiny", "opens_at": "2030-01-01T09:00", "closes_at": "2030-01-02T09:00"},
    )
    assert ok.status_code == 303
    assignment = session.scalar(select(Assignment))
    assert assignment.opens_at.isoformat() == "2030-01-01T09:00:00+00:00"


def test_multiplier_form_is_bounded(client, session, instructor, cohort) -> None:
    student = UserFactory()
    MembershipFactory(cohort=cohort, user=student)
    client.login(instructor.email)
    url = f"/cohorts/{cohort.id}/students/{student.id}/time-multiplier"
    too_big = client.post(url, data={"multiplier": "5"})
    assert too_big.status_code == 400
    assert "Between 1.0 and 4.0." in too_big.get_data(as_text=True)
    assert client.post(url, data={"multiplier": "2.25"}).status_code == 303
    session.refresh(student)
    assert student.time_multiplier == 1.0
    membership = session.scalar(select(Membership).where(Membership.user_id == student.id))
    assert membership.time_multiplier == 2.25


def test_dashboard_shows_assigned_mocks_and_start_refuses_outside_the_window(
    client, app, session, bank, instructor, cohort
) -> None:
    student = UserFactory(email="stu@example.com")
    MembershipFactory(cohort=cohort, user=student, time_multiplier=2.0)
    now = utcnow()
    assignment = cohorts.create_assignment(
        session,
        instructor.id,
        cohort,
        "tiny",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(hours=1),
    )
    client.login(student.email)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Assigned to you" in html
    assert "Evening group" in html
    assert "20 minutes for you" in html
    # Start leads to the instructions, which start the clock through the assignment's start.
    assert f"/assignments/{assignment.id}/instructions" in html
    instructions = client.get(f"/assignments/{assignment.id}/instructions").get_data(as_text=True)
    assert "Before you start: Tiny" in instructions
    assert "20 minutes, your time allowance in this cohort included" in instructions
    assert f'action="/cohorts/assignments/{assignment.id}/start"' in instructions
    late = now + timedelta(hours=2)
    app.config["CLOCK"] = lambda: late
    try:
        refused = client.post(f"/cohorts/assignments/{assignment.id}/start")
    finally:
        app.config.pop("CLOCK")
    assert refused.status_code == 409
    assert "this assigned mock closed at" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Attempt)) == 0
    started = client.post(f"/cohorts/assignments/{assignment.id}/start")
    assert started.status_code == 303
    assert re.search(r"/attempts/\d+/resume$", started.location)
    attempt = session.scalar(select(Attempt))
    assert attempt.assignment_id == assignment.id
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=20)
    assert "Resume" in client.get("/dashboard").get_data(as_text=True)
    # The instructions of a mock already running lead back into it.
    back = client.get(f"/assignments/{assignment.id}/instructions")
    assert back.location.endswith(f"/attempts/{attempt.id}/resume")


@pytest.fixture
def sat(session, bank, instructor, cohort):
    """Two students who each finished the cohort's assigned mock."""
    now = utcnow()
    assignment = cohorts.create_assignment(
        session,
        instructor.id,
        cohort,
        "tiny",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(hours=1),
    )
    done = []
    for email, name in (("ann@example.com", "Ann A"), ("zed@example.com", "Zed Z")):
        user = UserFactory(email=email, name=name)
        MembershipFactory(cohort=cohort, user=user)
        attempt = cohorts.start_assignment(
            session, user.id, assignment.id, now=now, grace_seconds=30
        )
        attempts.save_response(
            session,
            user.id,
            attempt.id,
            1,
            choice="A",
            flagged=False,
            seq=1,
            now=now,
            grace_seconds=30,
        )
        attempts.submit_attempt(session, user.id, attempt.id, now=now, grace_seconds=30)
        done.append(attempt)
    return done


def test_scorecard_page_sorts_and_links_to_drill_down(client, sat, instructor, cohort) -> None:
    client.login(instructor.email)
    html = client.get(f"/cohorts/{cohort.id}/scorecard?sort=name&dir=desc").get_data(as_text=True)
    assert html.index("Zed Z") < html.index("Ann A")
    assert 'aria-sort="descending"' in html
    assert f"/cohorts/{cohort.id}/students/" in html
    assert "<svg" in html
    assert "Heatmap: students by sub-domain" in html
    bad = client.get(f"/cohorts/{cohort.id}/scorecard?sort=secret")
    assert bad.status_code == 400
    assert "is not a column" in bad.get_data(as_text=True)
    card = client.get(f"/cohorts/{cohort.id}/attempts/{sat[0].id}/scorecard").get_data(as_text=True)
    assert "Ann A" in card
    assert "By sub-domain" in card
    # The candidate's own pages stay theirs: the instructor is not the owner.
    assert client.get(f"/attempts/{sat[0].id}/scorecard").status_code == 404


def test_in_progress_attempt_sends_the_instructor_back(client, session, bank, instructor, cohort):
    now = utcnow()
    student = UserFactory(name="Busy Bee")
    MembershipFactory(cohort=cohort, user=student)
    assignment = cohorts.create_assignment(
        session,
        instructor.id,
        cohort,
        "tiny",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(hours=1),
    )
    attempt = cohorts.start_assignment(
        session, student.id, assignment.id, now=now, grace_seconds=30
    )
    client.login(instructor.email)
    response = client.get(f"/cohorts/{cohort.id}/attempts/{attempt.id}/scorecard")
    assert response.status_code == 303
    assert response.location.endswith(f"/cohorts/{cohort.id}/students/{student.id}")


def test_csv_downloads_are_attachments(client, sat, instructor, cohort) -> None:
    client.login(instructor.email)
    for name in ("scorecard", "attempts"):
        response = client.get(f"/cohorts/{cohort.id}/{name}.csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="cohort-{cohort.id}-{name}.csv"'
        )
        assert response.headers["Cache-Control"] == "no-store"
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert {r["email"] for r in rows} == {"ann@example.com", "zed@example.com"}


def test_report_is_printable(client, sat, instructor, cohort) -> None:
    client.login(instructor.email)
    html = client.get(f"/cohorts/{cohort.id}/report").get_data(as_text=True)
    assert "bundle/app-scorecard-cohorts.css" in html
    assert "js/cohorts.js" in html
    assert "data-print" in html
    assert "Cohort report" in html
    assert "sort=" not in html  # the printed heatmap has no sort links


@contextmanager
def count_queries(app):
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_scorecard_query_count_does_not_grow_with_students(client, app, session, sat, cohort):
    client.login("teach@example.com")
    url = f"/cohorts/{cohort.id}/scorecard"
    client.get(url)
    with count_queries(app) as few:
        assert client.get(url).status_code == 200
    now = utcnow()
    assignment = session.scalar(select(Assignment))
    for n in range(4):
        user = UserFactory(email=f"more{n}@example.com")
        MembershipFactory(cohort=cohort, user=user)
        attempt = cohorts.start_assignment(
            session, user.id, assignment.id, now=now, grace_seconds=30
        )
        attempts.submit_attempt(session, user.id, attempt.id, now=now, grace_seconds=30)
    with count_queries(app) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few) <= 15, many


def test_an_empty_cohort_renders_everywhere(client, instructor, cohort) -> None:
    client.login(instructor.email)
    for path in ("", "/scorecard", "/report", "/scorecard.csv", "/attempts.csv"):
        response = client.get(f"/cohorts/{cohort.id}{path}")
        assert response.status_code == 200, path
    html = client.get(f"/cohorts/{cohort.id}/scorecard").get_data(as_text=True)
    assert "No students yet." in html
    assert "No mock assigned yet." in html
    assert client.get(f"/cohorts/{cohort.id}/attempts.csv").get_data(as_text=True).count("\n") == 1


def test_instructor_reviews_a_students_answers(client, session, sat, instructor, cohort) -> None:
    from exam_engine.models import AttemptItem, QuestionVersion

    client.login(instructor.email)
    attempt = sat[0]
    url = f"/cohorts/{cohort.id}/attempts/{attempt.id}/review"
    html = client.get(url).get_data(as_text=True)
    items = session.scalars(
        select(AttemptItem)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.position)
    ).all()
    assert html.count('class="card review-item"') == len(items) == 4
    first = items[0]
    version = session.get(QuestionVersion, first.question_version_id)
    # The student answered A at position 1: A is marked as their answer, the key as the key.
    chosen = re.findall(
        r"<strong>([A-D])</strong>[^<]*\s*(?:<span class=\"small\"> \(key\)</span>)?"
        r"<span class=\"small\"> \(Ann A's answer",
        html,
    )
    assert chosen == ["A"]  # one answer in the whole attempt, the A of question 1
    key_letter = "ABCD"[list(first.option_order).index(version.answer_index)]
    assert f"<strong>{key_letter}</strong> {version.options[version.answer_index]}" in html
    wrong = client.get(url + "?wrong=1").get_data(as_text=True)
    blank_or_wrong = sum(
        i.choice is None
        or i.choice != session.get(QuestionVersion, i.question_version_id).answer_index
        for i in items
    )
    assert wrong.count('class="card review-item"') == blank_or_wrong
