"""Review workflow pages: submit, publish (never one's own), send back, retire; history, diffs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exam_engine.models import AuditEvent, QuestionVersion, utcnow
from exam_engine.services import authoring
from tests.factories import UserFactory
from tests.integration.test_authoring import clean_item
from tests.web.test_authoring_editor import field_error

Q = "/authoring/questions/D2-B-001"


@pytest.fixture
def author(session):
    return UserFactory(role="instructor", email="author@example.com", name="Ada Author")


@pytest.fixture
def reviewer(session):
    return UserFactory(role="instructor", email="reviewer@example.com", name="Rex Reviewer")


def status(session, number: int = 1) -> str:
    session.expire_all()
    return session.scalar(select(QuestionVersion.status).where(QuestionVersion.number == number))


def actions(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def in_review(session, author) -> None:
    authoring.create_question(session, author.id, clean_item(), now=utcnow())
    authoring.submit_for_review(session, author.id, "D2-B-001", now=utcnow())


def test_author_sends_a_draft_to_review(client, session, author) -> None:
    authoring.create_question(session, author.id, clean_item(), now=utcnow())
    client.login(author.email)
    page = client.get(Q).get_data(as_text=True)
    assert "Send v1 to review" in page
    assert 'aria-current="step">Draft' in page
    response = client.post(Q + "/submit")
    assert response.status_code == 303
    assert response.location.endswith(Q)
    assert status(session) == "in_review"
    assert "Sent D2-B-001 v1 to review." in client.get(Q).get_data(as_text=True)


def test_a_draft_with_lint_errors_cannot_go_to_review(client, session, author) -> None:
    bad = clean_item(stem=clean_item().stem.replace("FIRST", "first"))
    authoring.create_question(session, author.id, bad, now=utcnow())
    client.login(author.email)
    page = client.get(Q).get_data(as_text=True)
    assert "Fix the lint errors before sending v1 to review." in page
    assert "[qualifier]" in page
    response = client.post(Q + "/submit")
    assert response.status_code == 409
    assert "has 1 lint error:" in response.get_data(as_text=True)
    assert status(session) == "draft"
    assert actions(session) == ["create"]


def test_the_author_cannot_publish_their_own_item(client, session, author) -> None:
    in_review(session, author)
    client.login(author.email)
    page = client.get(Q).get_data(as_text=True)
    assert "You wrote v1, so another instructor must review and publish it." in page
    assert "Publish v1" not in page
    response = client.post(Q + "/publish")
    assert response.status_code == 403
    assert "another instructor must review and publish it" in response.get_data(as_text=True)
    assert status(session) == "in_review"
    assert actions(session) == ["create", "submit"]


def test_another_instructor_publishes(client, session, author, reviewer) -> None:
    in_review(session, author)
    client.login(reviewer.email)
    assert "Publish v1" in client.get(Q).get_data(as_text=True)
    response = client.post(Q + "/publish")
    assert response.status_code == 303
    assert status(session) == "published"
    page = client.get(Q).get_data(as_text=True)
    assert "Published D2-B-001 v1: new exams can draw it." in page
    assert "live: v1" in page
    assert "by Rex Reviewer" in page
    assert "Retire v1" in page


def test_an_admin_publishes_their_own_item(client, session) -> None:
    admin = UserFactory(role="admin", email="admin@example.com")
    in_review(session, admin)
    client.login(admin.email)
    assert client.post(Q + "/publish").status_code == 303
    assert status(session) == "published"


def test_publishing_a_draft_is_a_conflict(client, session, author, reviewer) -> None:
    authoring.create_question(session, author.id, clean_item(), now=utcnow())
    client.login(reviewer.email)
    response = client.post(Q + "/publish")
    assert response.status_code == 409
    assert "only a version in review can be published" in response.get_data(as_text=True)
    assert status(session) == "draft"


def test_a_reviewer_sends_an_item_back_with_a_note(client, session, author, reviewer) -> None:
    in_review(session, author)
    client.login(reviewer.email)
    empty = client.post(Q + "/return", data={"note": "  "})
    assert empty.status_code == 400
    assert "Say what the author should change." in field_error(empty.get_data(as_text=True), "note")
    assert status(session) == "in_review"
    response = client.post(Q + "/return", data={"note": "Cite the ISO clause."})
    assert response.status_code == 303
    assert status(session) == "draft"
    client.post("/logout")
    client.login(author.email)
    page = client.get(Q).get_data(as_text=True)
    assert "Reviewer's note:</strong> Cite the ISO clause." in page
    edit = client.get(Q + "/edit").get_data(as_text=True)
    assert "Cite the ISO clause." in edit


def test_retire_takes_the_item_out_of_new_exams(client, session, author, reviewer) -> None:
    in_review(session, author)
    authoring.publish(session, reviewer.id, "D2-B-001", now=utcnow())
    client.login(author.email)
    response = client.post(Q + "/retire")
    assert response.status_code == 303
    assert status(session) == "retired"
    page = client.get(Q).get_data(as_text=True)
    assert "not live: new exams do not draw it" in page
    again = client.post(Q + "/retire")
    assert again.status_code == 409
    assert "no published version" in again.get_data(as_text=True)


def test_workflow_posts_for_unknown_questions_are_404(client, session, author) -> None:
    client.login(author.email)
    for step in ("submit", "publish", "retire"):
        assert client.post(f"/authoring/questions/D2-B-404/{step}").status_code == 404
    assert (
        client.post("/authoring/questions/D2-B-404/return", data={"note": "x"}).status_code == 404
    )
    assert client.get("/authoring/questions/D2-B-404").status_code == 404


def test_question_page_shows_versions_and_the_audit_trail(
    client, session, author, reviewer
) -> None:
    in_review(session, author)
    authoring.publish(session, reviewer.id, "D2-B-001", now=utcnow())
    authoring.save_draft(
        session, author.id, "D2-B-001", clean_item(difficulty="hard"), now=utcnow()
    )
    client.login(reviewer.email)
    page = client.get(Q).get_data(as_text=True)
    for text in (
        "Created D2-B-001 v1 (draft) in D2-B",
        "Sent D2-B-001 v1 to review",
        "Published D2-B-001 v1",
        "new draft v2 (v1 is published); changed difficulty",
        "Diff v1 &rarr; v2",
        "Rex Reviewer",
        "Ada Author",
    ):
        assert text in page, text
    assert page.index("new draft v2") < page.index("Created D2-B-001 v1")  # newest first
    old = client.get(Q + "?version=1").get_data(as_text=True)
    assert "You are looking at an older version." in old
    assert client.get(Q + "?version=9").status_code == 404


def test_diff_page_side_by_side_and_unified(client, session, author) -> None:
    authoring.create_question(session, author.id, clean_item(), now=utcnow())
    authoring.submit_for_review(session, author.id, "D2-B-001", now=utcnow())
    authoring.publish(session, UserFactory(role="admin").id, "D2-B-001", now=utcnow())
    changed = clean_item(stem=clean_item().stem.replace("retailer", "hospital"), answer="B")
    authoring.save_draft(session, author.id, "D2-B-001", changed, now=utcnow())
    client.login(author.email)
    side = client.get(Q + "/diff").get_data(as_text=True)
    assert "D2-B-001: v1 &rarr; v2" in side
    assert "<del>retailer</del>" in side
    assert "<ins>hospital</ins>" in side
    assert "<del>A</del>" in side
    assert "<ins>B</ins>" in side
    assert "Unchanged: Sub-domain, Difficulty, Option A" in side
    unified = client.get(Q + "/diff?a=1&b=2&view=unified").get_data(as_text=True)
    assert '<li class="u-removed">' in unified
    assert '<li class="u-added">' in unified
    same = client.get(Q + "/diff?a=2&b=2").get_data(as_text=True)
    assert "v2 and v2 have the same content." in same
    assert client.get(Q + "/diff?a=1&b=7").status_code == 404
