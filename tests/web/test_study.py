"""Study pages, the dashboard's Study panel and the review API (no JavaScript needed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from exam_engine.models import Attempt, ReviewCard, ReviewLog
from exam_engine.services import attempts, study
from tests.factories import UserFactory
from tests.support import seed_bank

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(app):
    state = {"now": T0}
    app.config["CLOCK"] = lambda: state["now"]
    yield state
    app.config.pop("CLOCK", None)


@pytest.fixture
def candidate(client, session, clock):
    seed_bank(session, per_subdomain=4)
    user = UserFactory(email="study@example.com")
    client.login("study@example.com")
    return user


def missed_mock(session, user, *, misses: int = 3, at: datetime = T0) -> Attempt:
    """A finished quiz with the first ``misses`` positions answered wrong."""
    mock = attempts.start_attempt(session, user.id, "quiz-20", now=at)
    for position in range(1, misses + 1):
        item = mock.items[position - 1]
        key = attempts.stored_to_choice(item, item.version.answer_index)
        attempts.save_response(
            session,
            user.id,
            mock.id,
            position,
            choice=next(c for c in "ABCD" if c != key),
            flagged=False,
            seq=position,
            now=at,
            grace_seconds=30,
        )
    attempts.submit_attempt(
        session, user.id, mock.id, now=at + timedelta(minutes=5), grace_seconds=30
    )
    return mock


def test_study_pages_need_a_sign_in(client) -> None:
    for path in ("/study/", "/study/review"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")
    assert client.get("/api/v1/review/due").status_code == 401


def test_study_page_shows_queue_drill_and_mastery(client, candidate, session, clock) -> None:
    html = client.get("/study/").get_data(as_text=True)
    assert "<h1>Study</h1>" in html
    assert 'id="study-due-count">0<' in html
    assert "0 days" in html
    assert "Drill my weak areas" in html
    assert 'type="checkbox"' in html
    assert html.count('name="subdomains"') == 13
    assert 'id="mastery-empty"' in html
    missed_mock(session, candidate)
    clock["now"] = T0 + timedelta(days=1)
    html = client.get("/study/").get_data(as_text=True)
    assert 'id="study-due-count">3<' in html
    assert "1 day<" in html
    assert 'id="mastery-table"' in html
    assert "<svg" not in html  # one point: no trend yet
    assert '<th scope="row"><abbr title="Stakeholder Considerations' in html
    assert "/bundle/app-study.css" in html
    assert "<script>" not in html


def test_dashboard_panel_offers_drill_and_review(client, candidate, session, clock) -> None:
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="study-panel"' in html
    assert 'id="study-due-count">0<' in html
    missed_mock(session, candidate, misses=2)
    clock["now"] = T0 + timedelta(days=1)
    html = client.get("/dashboard").get_data(as_text=True)
    panel = html[html.index('id="study-panel"') : html.index('id="start-heading"')]
    text = re.sub(r"<[^>]+>", "", panel)
    assert 'id="study-due-count">2<' in panel
    assert "2 items due for review today" in text
    assert 'action="/study/drill"' in panel
    assert ">Drill my weak areas</button>" in panel
    assert 'href="/study/review"' in panel
    assert 'id="study-streak">1 day<' in panel
    assert "review today to keep it going" in panel
    # The hidden drill and review templates never show up as templates to start.
    assert 'value="drill-weak-areas"' not in html
    assert 'value="review-due"' not in html
    # Loading the dashboard recorded the mock's misses, once.
    client.get("/dashboard")
    assert len(session.scalars(select(ReviewLog)).all()) == 2


def test_drill_form_starts_a_practice_drill(client, candidate, session) -> None:
    response = client.post("/study/drill", data={"subdomains": ["D2-A", "D3-C"]})
    assert response.status_code == 303
    match = re.search(r"/attempts/(\d+)/q/1$", response.location)
    assert match, response.location
    attempt = session.get(Attempt, int(match.group(1)))
    assert (attempt.kind, attempt.mode, attempt.user_id) == ("drill", "practice", candidate.id)
    assert {i.version.subdomain for i in attempt.items} == {"D2-A", "D3-C"}
    assert len(attempt.items) == 8  # only 4 items each in this bank: a shorter drill
    # Practice mode: checking an answer shows the rationales at once.
    item = attempt.items[0]
    key = attempts.stored_to_choice(item, item.version.answer_index)
    checked = client.post(f"/attempts/{attempt.id}/q/1", data={"choice": key, "go": "check"})
    assert checked.status_code == 303, checked.get_data(as_text=True)[-3000:]
    page = client.get(f"/attempts/{attempt.id}/q/1").get_data(as_text=True)
    assert "Correct" in page, page[page.find("<main") :][:3000]
    assert item.version.rationales[0] in page


def test_drill_form_without_subdomains_drills_everything(client, candidate, session) -> None:
    response = client.post("/study/drill", data={})
    assert response.status_code == 303
    attempt = session.scalar(select(Attempt))
    assert attempt.kind == "drill"
    assert len(attempt.items) == 15


def test_drill_form_refuses_unknown_subdomains(client, candidate, session) -> None:
    response = client.post("/study/drill", data={"subdomains": ["D1-A", "D9-Z"]})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="subdomains-error"' in html
    assert "D9-Z" in html
    assert "not a valid choice" in html
    assert session.scalar(select(Attempt)) is None


def test_drill_with_an_empty_bank_is_explained(client, session, clock) -> None:
    UserFactory(email="nobank@example.com")
    client.login("nobank@example.com")
    response = client.post("/study/drill", data={})
    assert response.status_code == 303
    assert response.location.endswith("/study/")
    html = client.get("/study/").get_data(as_text=True)
    assert "No drill could be started" in html
    assert "no published items" in html


def test_api_starts_a_drill_by_template_name(client, candidate, session) -> None:
    response = client.post("/api/v1/attempts", json={"template": "drill-weak-areas"})
    assert response.status_code == 201
    data = response.get_json()
    assert data["mode"] == "practice"
    assert data["deadline"] is None
    assert data["template"] == "drill-weak-areas"
    assert len(data["items"]) == 15
    assert "feedback" not in data
    assert "answer_index" not in response.get_data(as_text=True)
    assert session.get(Attempt, data["id"]).kind == "drill"


def test_review_due_api_lists_todays_items(client, candidate, session, clock) -> None:
    assert client.get("/api/v1/review/due").get_json() == {
        "items": [],
        "count": 0,
        "in_queue": 0,
        "streak": 0,
    }
    mock = missed_mock(session, candidate)
    assert client.get("/api/v1/review/due").get_json()["count"] == 0  # due tomorrow
    clock["now"] = T0 + timedelta(days=1, hours=2)
    data = client.get("/api/v1/review/due").get_json()
    assert data["count"] == 3
    assert data["in_queue"] == 3
    assert data["streak"] == 1
    keys = {i.version.question.key: i.version.subdomain for i in mock.items[:3]}
    assert {item["key"]: item["subdomain"] for item in data["items"]} == keys
    assert all(set(item) == {"key", "subdomain", "due"} for item in data["items"])
    assert data["items"][0]["due"] == "2025-03-04T09:05:00Z"
    # Another candidate sees only their own queue.
    UserFactory(email="other@example.com")
    client.post("/logout")
    client._token = None
    client.login("other@example.com")
    assert client.get("/api/v1/review/due").get_json()["count"] == 0


def test_review_page_and_session_end_to_end(client, candidate, session, clock) -> None:
    html = client.get("/study/review").get_data(as_text=True)
    assert 'id="nothing-due"' in html
    assert "review queue is empty" in html
    response = client.post("/study/review")
    assert response.status_code == 303
    assert response.location.endswith("/study/review")
    assert "Nothing is due for review today." in client.get("/study/review").get_data(as_text=True)

    missed_mock(session, candidate, misses=2)
    html = client.get("/study/review").get_data(as_text=True)
    assert "next review is due on 4 Mar 2025" in html
    clock["now"] = T0 + timedelta(days=1, hours=1)
    html = client.get("/study/review").get_data(as_text=True)
    assert 'id="due-table"' in html
    assert "Due today (2)" in html
    assert ">Start review<" in html

    response = client.post("/study/review")
    match = re.search(r"/attempts/(\d+)/q/1$", response.location)
    assert response.status_code == 303
    assert match
    review = session.get(Attempt, int(match.group(1)))
    assert (review.kind, review.mode, len(review.items)) == ("review", "practice", 2)
    first = review.items[0]
    key = attempts.stored_to_choice(first, first.version.answer_index)
    client.post(f"/attempts/{review.id}/q/1", data={"choice": key, "go": "check"})
    # Half done: the page offers to resume, at the unanswered question.
    html = client.get("/study/review").get_data(as_text=True)
    assert ">Resume review<" in html
    response = client.post("/study/review")
    assert response.location.endswith(f"/attempts/{review.id}/q/2")
    # The answered item was rescheduled (Good), the other is still due.
    data = client.get("/api/v1/review/due").get_json()
    assert data["count"] == 1
    card = session.scalar(select(ReviewCard).where(ReviewCard.question_id == first.question_id))
    session.refresh(card)
    assert card.due_at > T0 + timedelta(days=3)


def test_another_users_review_session_is_not_found(client, candidate, session, clock) -> None:
    other = UserFactory()
    missed_mock(session, other, misses=1)
    review, _ = study.start_review(session, other.id, now=T0 + timedelta(days=1, hours=1))
    assert client.get(f"/attempts/{review.id}/q/1").status_code == 404
