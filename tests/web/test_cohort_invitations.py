"""Cohort consent: a roster line invites; only the invited account's own yes enrols it.

Also where the time multiplier comes from: the enrolment for an assigned mock, the account
(an admin's setting) for any other mock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exam_engine.models import Attempt, AuditEvent, CohortInvitation, Membership, utcnow
from exam_engine.services import attempts, cohorts
from tests.factories import MembershipFactory, UserFactory
from tests.support import add_template, csrf_from_html, seed_bank


@pytest.fixture
def instructor(session):
    return UserFactory(email="teach@example.com", role="instructor")


@pytest.fixture
def cohort(session, instructor):
    return cohorts.create_cohort(session, "Evening group", instructor.id)


def invite(session, instructor, cohort, *emails: str) -> dict[str, int]:
    """Upload a roster of ``emails``; return each one's invitation id."""
    cohorts.upload_roster(session, instructor.id, cohort, "\n".join(emails), now=utcnow())
    return {i.email: i.id for i in session.scalars(select(CohortInvitation))}


def students(session, cohort) -> set[str]:
    return {m.email for m in cohorts.members(session, cohort.id) if m.role == "student"}


def test_accepting_on_the_dashboard_enrols_and_is_audited(client, session, instructor, cohort):
    UserFactory(email="stu@example.com")
    ids = invite(session, instructor, cohort, "stu@example.com")
    client.login("stu@example.com")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "You are invited to join <strong>Evening group</strong>" in dashboard
    accept = f"/cohorts/invitations/{ids['stu@example.com']}/accept"
    assert accept in dashboard
    response = client.post(accept)
    assert response.status_code == 303
    assert students(session, cohort) == {"stu@example.com"}
    assert "You are invited" not in client.get("/dashboard").get_data(as_text=True)
    # A second press (or a retry) changes nothing.
    assert client.post(accept).status_code == 303
    assert session.scalar(select(func.count()).select_from(Membership)) == 2
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("cohort.invitation_accepted") == 1


def test_an_invitation_for_a_new_email_waits_for_the_account(client, session, instructor, cohort):
    ids = invite(session, instructor, cohort, "later@example.com")
    assert students(session, cohort) == set()
    # The person registers later with that email and finds the invitation.
    UserFactory(email="later@example.com")
    client.login("later@example.com")
    assert "Evening group" in client.get("/dashboard").get_data(as_text=True)
    assert client.post(f"/cohorts/invitations/{ids['later@example.com']}/accept").status_code == 303
    assert students(session, cohort) == {"later@example.com"}


def test_declining_keeps_the_account_out_and_cannot_be_undone_by_accepting(
    client, session, instructor, cohort
):
    UserFactory(email="stu@example.com")
    ids = invite(session, instructor, cohort, "stu@example.com")
    client.login("stu@example.com")
    invitation = ids["stu@example.com"]
    assert client.post(f"/cohorts/invitations/{invitation}/decline").status_code == 303
    assert client.post(f"/cohorts/invitations/{invitation}/decline").status_code == 303
    again = client.post(f"/cohorts/invitations/{invitation}/accept")
    assert again.status_code == 409
    assert "you declined this invitation" in again.get_data(as_text=True)
    assert students(session, cohort) == set()
    # Uploading the roster again does not pester them with a new invitation.
    report = cohorts.upload_roster(session, instructor.id, cohort, "stu@example.com", now=utcnow())
    assert [r.email for r in report.declined] == ["stu@example.com"]
    assert "Evening group" not in client.get("/dashboard").get_data(as_text=True)


def test_an_accepted_invitation_cannot_be_declined(client, session, instructor, cohort):
    UserFactory(email="stu@example.com")
    ids = invite(session, instructor, cohort, "stu@example.com")
    client.login("stu@example.com")
    client.post(f"/cohorts/invitations/{ids['stu@example.com']}/accept")
    refused = client.post(f"/cohorts/invitations/{ids['stu@example.com']}/decline")
    assert refused.status_code == 409
    assert students(session, cohort) == {"stu@example.com"}


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_unknown_and_other_peoples_invitations_are_404(client, session, instructor, cohort, action):
    UserFactory(email="stu@example.com")
    UserFactory(email="nosy@example.com")
    ids = invite(session, instructor, cohort, "stu@example.com")
    client.login("nosy@example.com")
    assert client.post(f"/cohorts/invitations/{ids['stu@example.com']}/{action}").status_code == 404
    assert client.post(f"/cohorts/invitations/999999/{action}").status_code == 404
    # Not even the instructor who sent it can answer for the student.
    client.post("/logout")
    client.login("teach@example.com")
    assert client.post(f"/cohorts/invitations/{ids['stu@example.com']}/{action}").status_code == 404
    assert students(session, cohort) == set()
    status = session.scalar(select(CohortInvitation.status))
    assert status == "pending"


def test_accept_and_decline_need_the_csrf_token(raw_client, session, instructor, cohort):
    UserFactory(email="stu@example.com")
    ids = invite(session, instructor, cohort, "stu@example.com")
    page = raw_client.get("/login").get_data(as_text=True)
    raw_client.post(
        "/login",
        data={
            "email": "stu@example.com",
            "password": "password-123456",
            "csrf_token": csrf_from_html(page),
        },
    )
    for action in ("accept", "decline"):
        assert (
            raw_client.post(f"/cohorts/invitations/{ids['stu@example.com']}/{action}").status_code
            == 400
        )
    assert session.scalar(select(CohortInvitation.status)) == "pending"


def test_a_staff_account_sees_no_invitation_and_cannot_accept(client, session, instructor, cohort):
    UserFactory(email="boss@example.com", role="admin")
    ids = invite(session, instructor, cohort, "boss@example.com")
    client.login("boss@example.com")
    assert "You are invited" not in client.get("/dashboard").get_data(as_text=True)
    refused = client.post(f"/cohorts/invitations/{ids['boss@example.com']}/accept")
    assert refused.status_code == 409
    assert "only candidate accounts" in refused.get_data(as_text=True)
    assert students(session, cohort) == set()


def test_a_removed_student_is_asked_again_by_the_next_roster(client, session, instructor, cohort):
    student = UserFactory(email="stu@example.com")
    ids = invite(session, instructor, cohort, "stu@example.com")
    cohorts.accept_invitation(session, student.id, ids["stu@example.com"], now=utcnow())
    cohorts.remove_student(session, instructor.id, cohort, student.id)
    report = cohorts.upload_roster(session, instructor.id, cohort, "stu@example.com", now=utcnow())
    assert [r.email for r in report.already_invited] == ["stu@example.com"]
    assert students(session, cohort) == set()
    assert [p.cohort_name for p in cohorts.pending_for(session, student.id)] == ["Evening group"]


def test_another_instructors_cohort_gets_no_roster_and_no_multiplier(
    client, session, instructor, cohort
):
    student = UserFactory(email="stu@example.com")
    MembershipFactory(cohort=cohort, user=student, role="student")
    UserFactory(email="rival@example.com", role="instructor")
    client.login("rival@example.com")
    roster = client.post(f"/cohorts/{cohort.id}/roster", data={"text": "stu@example.com"})
    assert roster.status_code == 404
    url = f"/cohorts/{cohort.id}/students/{student.id}/time-multiplier"
    assert client.post(url, data={"multiplier": "4"}).status_code == 404
    assert session.scalar(select(func.count()).select_from(CohortInvitation)) == 0
    session.expire_all()
    assert (
        session.scalar(select(Membership.time_multiplier).where(Membership.user_id == student.id))
        == 1.0
    )
    assert student.time_multiplier == 1.0


def test_joining_by_code_meanwhile_clears_the_banner(client, session, instructor, cohort):
    student = UserFactory(email="stu@example.com")
    ids = invite(session, instructor, cohort, "stu@example.com")
    code = cohorts.new_join_code(session, instructor.id, cohort, now=utcnow(), days=3)
    cohorts.join_by_code(session, student.id, code, now=utcnow())
    assert cohorts.pending_for(session, student.id) == []
    client.login("stu@example.com")
    accepted = client.post(f"/cohorts/invitations/{ids['stu@example.com']}/accept")
    assert accepted.status_code == 303
    assert session.scalar(select(func.count()).select_from(Membership)) == 2


# --- whose multiplier times a mock ----------------------------------------------------------


@pytest.fixture
def timed(session):
    seed_bank(session, per_subdomain=2)
    return add_template(session, "tiny", item_count=4, minutes=10)


def minutes_of(attempt: Attempt) -> float:
    return (attempt.deadline_at - attempt.started_at) / timedelta(minutes=1)


def test_an_assigned_mock_uses_the_enrolments_multiplier_only(session, timed, instructor, cohort):
    now = utcnow()
    student = UserFactory(time_multiplier=1.25)  # the admin's accommodation for every mock
    MembershipFactory(cohort=cohort, user=student, role="student")
    other_teacher = UserFactory(role="instructor")
    other = cohorts.create_cohort(session, "Other group", other_teacher.id)
    MembershipFactory(cohort=other, user=student, role="student")
    # The other cohort's instructor gives x4: it stretches their own assigned mocks only.
    cohorts.set_student_multiplier(session, other_teacher.id, other, student.id, 4.0)
    cohorts.set_student_multiplier(session, instructor.id, cohort, student.id, 2.0)
    window = {"opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(hours=1)}
    mine = cohorts.create_assignment(session, instructor.id, cohort, "tiny", **window)
    theirs = cohorts.create_assignment(session, other_teacher.id, other, "tiny", **window)
    sitting = cohorts.start_assignment(session, student.id, mine.id, now=now, grace_seconds=30)
    assert minutes_of(sitting) == 20
    attempts.submit_attempt(session, student.id, sitting.id, now=now, grace_seconds=30)
    assert (
        minutes_of(
            cohorts.start_assignment(session, student.id, theirs.id, now=now, grace_seconds=30)
        )
        == 40
    )
    own = attempts.start_attempt(session, student.id, "tiny", now=now)
    assert minutes_of(own) == 12.5  # neither cohort's setting: the account's x1.25
    shown = {m.cohort_name: m.minutes for m in cohorts.assigned_to(session, student.id, now=now)}
    assert shown == {"Evening group": 20, "Other group": 40}


def upload_page(client, cohort, *emails: str):
    return client.post(f"/cohorts/{cohort.id}/roster", data={"text": "\n".join(emails)})


def test_each_invitation_is_mailed_with_the_same_text_whether_or_not_an_account_exists(
    client, session, instructor, cohort, inbox
):
    UserFactory(email="has.account@example.com")
    client.login(instructor.email)
    response = upload_page(client, cohort, "has.account@example.com", "no.account@example.com")
    assert response.status_code == 200
    received = {m.to: m for m in inbox.messages}
    assert set(received) == {"has.account@example.com", "no.account@example.com"}
    bodies = {m.body for m in received.values()}
    assert len(bodies) == 1  # the mail tells nothing about the account
    (body,) = bodies
    assert 'join the cohort "Evening group"' in body
    assert "accept or decline the invitation on your dashboard" in body
    assert received["no.account@example.com"].links() == []
    # The same roster again invites nobody new, so it mails nobody.
    upload_page(client, cohort, "has.account@example.com", "no.account@example.com")
    assert len(inbox.messages) == 2


def test_an_invitation_stands_when_its_mail_cannot_be_sent(
    app, client, session, instructor, cohort
):
    client.login(instructor.email)
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    try:
        response = upload_page(client, cohort, "stu@example.com")
    finally:
        app.config["MAIL_PORT"] = port
    assert response.status_code == 200
    assert session.scalars(select(CohortInvitation.email)).all() == ["stu@example.com"]
