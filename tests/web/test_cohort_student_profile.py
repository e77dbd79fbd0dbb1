"""A cohort student's page: sub-domain profile, trend and pass estimate, for the cohort's
instructor (and admins) only; only the cohort's own mocks count."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exam_engine.models import utcnow
from exam_engine.services import attempts, cohorts
from tests.factories import MembershipFactory, UserFactory
from tests.support import add_template, seed_bank


@pytest.fixture
def setting(session):
    seed_bank(session, per_subdomain=2)
    add_template(session, "tiny", item_count=6, minutes=10)
    teacher = UserFactory(email="teach@example.com", role="instructor")
    cohort = cohorts.create_cohort(session, "Evening group", teacher.id)
    student = UserFactory(email="ann@example.com", name="Ann A")
    MembershipFactory(cohort=cohort, user=student)
    now = utcnow()
    finished = []
    for n, right in enumerate((1, 4)):
        assignment = cohorts.create_assignment(
            session,
            teacher.id,
            cohort,
            "tiny",
            opens_at=now - timedelta(hours=2),
            closes_at=now + timedelta(hours=2),
        )
        moment = now - timedelta(minutes=30 - 10 * n)
        attempt = cohorts.start_assignment(
            session, student.id, assignment.id, now=moment, grace_seconds=30
        )
        for seq, item in enumerate(sorted(attempt.items, key=lambda i: i.position), start=1):
            key = item.version.answer_index
            item.choice = key if seq <= right else (key + 1) % 4
        session.commit()
        attempts.submit_attempt(session, student.id, attempt.id, now=moment, grace_seconds=30)
        finished.append(attempt)
    return teacher, cohort, student, finished


def test_the_instructor_sees_profile_trend_and_estimate(client, setting) -> None:
    teacher, cohort, student, finished = setting
    client.login(teacher.email)
    html = client.get(f"/cohorts/{cohort.id}/students/{student.id}").get_data(as_text=True)
    assert "Ready to pass?" in html
    assert "first answers to 12 questions in 2 finished mocks of this cohort" in html
    assert "5 correct" in html
    assert "Sub-domain profile" in html
    assert 'class="status status-' in html
    assert "Trend over mocks" in html
    # Oldest first: 1 of 6, then 4 of 6 (+50 points).
    trend = html.split('id="trend-heading"', 1)[1].split("</table>", 1)[0]
    assert trend.index("17%") < trend.index("67%")
    assert "+50 points" in trend
    assert "No calibrated ability" in html  # no calibration in this test


def test_mocks_sat_outside_the_cohort_do_not_count(client, session, setting) -> None:
    teacher, cohort, student, _ = setting
    own = attempts.start_attempt(session, student.id, "tiny", now=utcnow())
    attempts.submit_attempt(session, student.id, own.id, now=utcnow(), grace_seconds=30)
    client.login(teacher.email)
    html = client.get(f"/cohorts/{cohort.id}/students/{student.id}").get_data(as_text=True)
    assert "first answers to 12 questions in 2 finished mocks" in html


def test_a_student_with_nothing_finished_gets_no_estimate(client, session, setting) -> None:
    teacher, cohort, _, _ = setting
    newcomer = UserFactory(email="new@example.com", name="New N")
    MembershipFactory(cohort=cohort, user=newcomer)
    session.commit()
    client.login(teacher.email)
    response = client.get(f"/cohorts/{cohort.id}/students/{newcomer.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No estimate yet" in html
    assert "The profile appears once New N finishes" in html


def test_an_admin_sees_it_too(client, session, setting) -> None:
    _, cohort, student, _ = setting
    UserFactory(email="root@example.com", role="admin")
    client.login("root@example.com")
    response = client.get(f"/cohorts/{cohort.id}/students/{student.id}")
    assert response.status_code == 200
    assert "Sub-domain profile" in response.get_data(as_text=True)


def test_another_instructor_gets_404_and_a_candidate_403(client, session, setting) -> None:
    _, cohort, student, _ = setting
    UserFactory(email="other@example.com", role="instructor")
    client.login("other@example.com")
    assert client.get(f"/cohorts/{cohort.id}/students/{student.id}").status_code == 404
    client.post("/logout")
    client.login(student.email)
    assert client.get(f"/cohorts/{cohort.id}/students/{student.id}").status_code == 403


def test_someone_not_in_the_cohort_is_404(client, session, setting) -> None:
    teacher, cohort, _, _ = setting
    stranger = UserFactory(email="stranger@example.com")
    session.commit()
    client.login(teacher.email)
    assert client.get(f"/cohorts/{cohort.id}/students/{stranger.id}").status_code == 404
    assert client.get(f"/cohorts/{cohort.id}/students/99999").status_code == 404
    assert client.get(f"/cohorts/99999/students/{stranger.id}").status_code == 404
