"""The instructor home: where instructors and admins land, and what it gathers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from exam_engine.models import AuditEvent, utcnow
from exam_engine.services import attempts, cohorts
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.cohorts.assignments import assignment_lines
from exam_engine.services.cohorts.scorecard import cohort_card, cohort_summary, students_of
from tests.factories import (
    AssignmentFactory,
    MembershipFactory,
    QuestionFactory,
    QuestionVersionFactory,
    UserFactory,
)
from tests.support import add_template, seed_bank


@pytest.fixture
def instructor(session):
    return UserFactory(email="teach@example.com", role="instructor", name="Tess Teacher")


@pytest.mark.parametrize(("role", "landing"), [
    ("instructor", "/instructor"), ("admin", "/instructor"), ("candidate", "/dashboard"),
])  # fmt: skip
def test_instructors_and_admins_land_on_their_home(client, session, role, landing) -> None:
    UserFactory(email="who@example.com", role=role)
    signed_in = client.login("who@example.com")
    assert signed_in.status_code == 302
    assert signed_in.location == "/"
    assert client.get("/").location == landing


def test_a_candidate_cannot_open_the_instructor_home(client, session) -> None:
    UserFactory(email="cand@example.com")
    client.login("cand@example.com")
    assert client.get("/instructor").status_code == 403


def test_home_of_a_new_instructor_says_what_is_empty(client, session, instructor) -> None:
    client.login(instructor.email)
    page = client.get("/instructor").get_data(as_text=True)
    assert "You teach no cohort yet." in page
    assert "Nothing waits for your review." in page
    assert "Not computed yet." in page
    assert "No import recorded yet." in page


def _sit(session, student, assignment, *, right: int, when):
    """Start the assigned tiny mock, answer ``right`` of its 4 items correctly, submit."""
    attempt = attempts.start_attempt(session, student.id, "tiny", now=when)
    attempt.assignment_id = assignment.id
    for item in attempt.items:
        key = item.version.answer_index
        item.choice = key if item.position <= right else (key + 1) % 4
    session.commit()
    attempts.submit_attempt(
        session, student.id, attempt.id, now=when + timedelta(minutes=5), grace_seconds=30
    )


def test_home_gathers_cohorts_reviews_flags_and_imports(client, session, instructor) -> None:
    seed_bank(session, per_subdomain=2)
    template = add_template(session, "tiny", item_count=4, minutes=10)
    cohort = cohorts.create_cohort(session, "Evening group", instructor.id)
    cohorts.create_cohort(session, "Someone else's", UserFactory(role="instructor").id)
    when = utcnow() - timedelta(hours=2)
    assignment = AssignmentFactory(
        cohort_id=cohort.id, template_id=template.id, opens_at=when - timedelta(hours=1)
    )
    students = [UserFactory() for _ in range(4)]
    for student in students:
        MembershipFactory(cohort=cohort, user=student)
    # Two of four students finished: 3/4 and 1/4 right, 4 of 8 pooled.
    _sit(session, students[0], assignment, right=3, when=when)
    _sit(session, students[1], assignment, right=1, when=when)
    # In review: one by a colleague (to review), one by the instructor (not theirs to review).
    colleague = UserFactory(role="instructor", name="Cole League")
    QuestionVersionFactory(
        question=QuestionFactory(key="D1-A-900"), status="in_review", author_id=colleague.id
    )
    QuestionVersionFactory(
        question=QuestionFactory(key="D1-A-901"), status="in_review", author_id=instructor.id
    )
    session.add(
        AuditEvent(
            actor_id=colleague.id,
            action="import",
            object_type="bank",
            object_id="aaism",
            summary="Imported items.yaml (yaml) as draft: 3 new",
        )
    )
    session.commit()
    client.login(instructor.email)
    page = client.get("/instructor").get_data(as_text=True)
    cohorts_part = page[page.index('id="home-cohorts-heading"') : page.index("</section>")]
    assert "Evening group" in cohorts_part
    assert "Someone else" not in cohorts_part
    assert re.search(r"50(\.0)?%\s*<span class=\"muted small\">\(2 of 4 sittings", cohorts_part)
    assert "(4/8)" in cohorts_part
    assert f'href="/cohorts/{cohort.id}/scorecard"' in cohorts_part
    # The home reads only the scores; the figures are the cohort scorecard's.
    members, lines = students_of(session, cohort.id), assignment_lines(session, cohort.id)
    card = cohort_card(session, cohort.id, members, lines, bundled_blueprint(), target=0.65)
    figures = cohort_summary(session, cohort.id, members, lines)
    assert (figures.overall, figures.completion) == (card.overall, card.completion)
    reviews = page[page.index('id="home-reviews-heading"') :]
    reviews = reviews[: reviews.index("</section>")]
    assert "D1-A-900" in reviews
    assert "Cole League" in reviews
    assert "D1-A-901" not in reviews
    assert '<span class="count-badge">1</span>' in reviews
    assert "Imported items.yaml (yaml) as draft: 3 new" in page
    # The admin reviews anything in review, their own included.
    UserFactory(email="boss@example.com", role="admin")
    client.post("/logout")
    client.login("boss@example.com")
    admin_page = client.get("/instructor").get_data(as_text=True)
    assert "D1-A-900" in admin_page
    assert "D1-A-901" in admin_page
    assert "Evening group" in admin_page
    assert "Someone else" in admin_page
