"""My data: the JSON export holds what is stored about me and no unfinished key; deletion."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from exam_engine.models import (
    Attempt,
    AuditEvent,
    CohortInvitation,
    LoginSession,
    Membership,
    ReviewCard,
    ReviewLog,
    TemplateStatistic,
    User,
    utcnow,
)
from exam_engine.services import attempts, cohorts
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.support import add_template, seed_bank


@pytest.fixture
def world(session):
    """A candidate with a finished mock, one in progress, a cohort, an invitation, a card."""
    seed_bank(session, per_subdomain=4)
    now = utcnow()
    teacher = UserFactory(email="teach@example.com", role="instructor")
    me = UserFactory(email="me@example.com", name="Mia Me")
    stranger = UserFactory(email="stranger@example.com", name="Stan Stranger")
    cohort = cohorts.create_cohort(session, "Evening group", teacher.id)
    MembershipFactory(cohort=cohort, user=me, role="student", time_multiplier=1.5)
    other = cohorts.create_cohort(session, "Other group", teacher.id)
    cohorts.upload_roster(session, teacher.id, other, "me@example.com,Mia", now=now)
    done = attempts.start_attempt(session, me.id, "quiz-20", now=now)
    attempts.save_response(
        session, me.id, done.id, 1, choice="B", flagged=True, seq=1, now=now, grace_seconds=30
    )
    attempts.submit_attempt(session, me.id, done.id, now=now, grace_seconds=30)
    add_template(session, "tiny", item_count=4, minutes=10)
    running = attempts.start_attempt(session, me.id, "tiny", now=now)
    attempts.save_response(
        session, me.id, running.id, 2, choice="C", flagged=False, seq=1, now=now, grace_seconds=30
    )
    theirs = attempts.start_attempt(session, stranger.id, "quiz-20", now=now)
    card = ReviewCard(user_id=me.id, question_id=done.items[0].question_id, due_at=now)
    session.add(card)
    session.flush()
    session.add(ReviewLog(card_id=card.id, rating=3, reviewed_at=now, attempt_id=done.id))
    session.commit()
    cohorts.remove_student(session, teacher.id, cohort, me.id)
    MembershipFactory(cohort=cohort, user=me, role="student", time_multiplier=1.5)
    return me, stranger, done, running, theirs


def test_the_export_holds_my_data_and_no_unfinished_key(client, session, world) -> None:
    me, stranger, done, running, theirs = world
    client.login(me.email)
    page = client.get("/account/data")
    assert page.status_code == 200
    assert "/account/data.json" in page.get_data(as_text=True)
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "me@example.com"
    assert "password_hash" not in data["account"]
    assert me.password_hash not in response.get_data(as_text=True)
    by_id = {a["id"]: a for a in data["attempts"]}
    assert set(by_id) == {done.id, running.id}  # never someone else's
    finished = by_id[done.id]
    assert finished["result"] is not None
    first = finished["items"][0]
    assert (first["choice"], first["flagged"]) == ("B", True)
    assert first["saves"][0]["choice"] == "B"
    assert first["feedback"]["key"] in "ABCD"
    unfinished = by_id[running.id]
    assert unfinished["result"] is None
    assert unfinished["items"][1]["choice"] == "C"
    assert all(item["feedback"] is None for item in unfinished["items"])
    # No rationale or key of the running attempt anywhere in the file.
    session.refresh(running)
    text = json.dumps(unfinished)
    for item in running.items:
        for rationale in item.version.rationales:
            assert rationale not in text
    assert '"key"' not in text
    assert [c["reviews"][0]["rating"] for c in data["study"]["review_cards"]] == [3]
    assert [(c["cohort"], c["time_multiplier"]) for c in data["cohorts"]] == [
        ("Evening group", 1.5)
    ]
    assert [(i["cohort"], i["status"]) for i in data["invitations"]] == [("Other group", "pending")]
    actions = [e["action"] for e in data["audit_events"]]
    assert "cohort.remove" in actions  # an instructor's act on their enrolment
    assert "cohort.join" not in actions
    assert "cohort.create" not in actions
    assert "stranger@example.com" not in response.get_data(as_text=True)


def test_deleting_needs_the_right_password_and_the_box(client, session, world) -> None:
    me = world[0]
    client.login(me.email)
    wrong = client.post("/account/delete", data={"password": "not-my-password", "confirm": "y"})
    assert wrong.status_code == 400
    assert "That is not your password; nothing was deleted." in wrong.get_data(as_text=True)
    unticked = client.post("/account/delete", data={"password": DEFAULT_PASSWORD})
    assert unticked.status_code == 400
    assert "Tick the box to confirm." in unticked.get_data(as_text=True)
    empty = client.post("/account/delete", data={"confirm": "y"})
    assert empty.status_code == 400
    assert "Enter your password to confirm." in empty.get_data(as_text=True)
    assert session.get(User, me.id) is not None
    assert client.get("/dashboard").status_code == 200  # still signed in


def test_deleting_removes_everything_and_leaves_an_anonymous_audit_event(
    app, client, session, world
) -> None:
    me, stranger, done, running, theirs = world
    my_id = me.id
    client.login(me.email)
    other_tab = app.test_client()
    other_tab.login(me.email)
    response = client.post("/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code == 303
    assert response.location.endswith("/login")
    session.expire_all()
    assert session.get(User, my_id) is None
    mine = select(func.count()).select_from(Attempt).where(Attempt.user_id == my_id)
    assert session.scalar(mine) == 0
    assert session.get(Attempt, theirs.id) is not None  # other people's attempts stay
    assert (
        session.scalar(
            select(func.count()).select_from(Membership).where(Membership.user_id == my_id)
        )
        == 0
    )
    assert session.scalar(select(func.count()).select_from(ReviewCard)) == 0
    assert session.scalar(select(func.count()).select_from(CohortInvitation)) == 0
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.delete"))
    assert event.actor_id is None
    everything = " ".join(
        f"{e.summary} {json.dumps(e.details)}" for e in session.scalars(select(AuditEvent))
    )
    assert "me@example.com" not in everything
    assert "Mia" not in everything
    # Item analysis knows its numbers lost rows.
    assert session.scalar(
        select(TemplateStatistic.stale_since).where(TemplateStatistic.template == "quiz-20")
    )
    # Every session of the account is over.
    assert client.get("/dashboard").status_code == 302
    assert other_tab.get("/dashboard").status_code == 302
    assert app.test_client().login("me@example.com").status_code == 401
    stored = select(func.count()).select_from(LoginSession).where(LoginSession.user_id == my_id)
    assert session.scalar(stored) == 0


@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_staff_accounts_are_not_deleted_here(client, session, role) -> None:
    UserFactory(email="staff@example.com", role=role)
    UserFactory(email="spare-admin@example.com", role="admin")
    client.login("staff@example.com")
    assert "ask an admin" in client.get("/account/data").get_data(as_text=True).lower()
    response = client.post("/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code == 409
    assert session.scalar(select(User).where(User.email == "staff@example.com")) is not None


def test_delete_needs_the_csrf_token(client, session) -> None:
    UserFactory(email="me@example.com")
    client.login("me@example.com")
    response = client.post(
        "/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"}, csrf=False
    )
    assert response.status_code == 400
    assert session.scalar(select(User).where(User.email == "me@example.com")) is not None
