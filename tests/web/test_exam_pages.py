"""The exam pages work without JavaScript: forms save, navigate, summarize and submit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from exam_engine.models import Attempt, AttemptItem, utcnow
from tests.factories import UserFactory
from tests.support import seed_bank


@pytest.fixture
def clock(app):
    state = {"now": utcnow()}
    app.config["CLOCK"] = lambda: state["now"]
    yield state
    app.config.pop("CLOCK", None)


@pytest.fixture
def started(client, session, clock):
    seed_bank(session, per_subdomain=4)
    UserFactory(email="page@example.com")
    client.login("page@example.com")
    response = client.post("/attempts", data={"template": "quiz-20"})
    assert response.status_code == 303
    match = re.search(r"/attempts/(\d+)/q/1$", response.location)
    assert match, response.location
    return int(match.group(1))


def test_dashboard_lists_templates_and_in_progress(client, started) -> None:
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Full mock exam (90 items, 180 minutes)" in html
    assert "In progress" in html
    assert f"/attempts/{started}/resume" in html


def test_question_page_has_timer_navigator_and_no_inline_script(client, started) -> None:
    html = client.get(f"/attempts/{started}/q/1").get_data(as_text=True)
    assert 'role="timer"' in html
    assert 'data-remaining="2400"' in html
    assert len(re.findall(r'class="nav-cell [^"]*"\s+data-position=', html)) == 20
    assert 'name="choice"' in html
    assert html.count('type="radio"') == 4
    assert "<script>" not in html
    assert "/js/exam.js" in html


def test_form_post_saves_and_moves_on(client, started, session) -> None:
    response = client.post(
        f"/attempts/{started}/q/1", data={"choice": "C", "flagged": "y", "go": "next"}
    )
    assert response.status_code == 303
    assert response.location.endswith("/q/2")
    item = session.query(AttemptItem).filter_by(attempt_id=started, position=1).one()
    assert item.flagged
    assert item.choice == item.option_order[2]
    page = client.get(f"/attempts/{started}/q/1").get_data(as_text=True)
    assert re.search(r'value="C"\s+checked', page) or 'value="C" checked' in page
    assert "Question 1, answered, flagged" in page


@pytest.mark.parametrize(
    ("go", "target"),
    [("prev", "/q/1"), ("summary", "/summary"), ("7", "/q/7"), ("stay", "/q/2")],
)
def test_navigation_targets(client, started, go, target) -> None:
    response = client.post(f"/attempts/{started}/q/2", data={"go": go})
    assert response.location.endswith(target)


def test_choice_not_offered_is_400(client, started, session) -> None:
    response = client.post(f"/attempts/{started}/q/1", data={"choice": "Z"})
    assert response.status_code == 400
    assert session.query(AttemptItem).filter(AttemptItem.choice.is_not(None)).count() == 0


def test_summary_puts_submit_first_and_warns_of_unanswered_questions(client, started) -> None:
    client.post(f"/attempts/{started}/q/2", data={"choice": "A", "go": "next"})
    html = client.get(f"/attempts/{started}/summary").get_data(as_text=True)
    # Submit comes before the lists of questions, not under them.
    assert html.index('id="submit-form"') < html.index('id="unanswered-list"')
    assert "<strong>19 questions unanswered</strong>: they count as wrong." in html
    assert "more than half the exam" in html
    # 19 chips are collapsed; the navigator below shows every question anyway.
    assert "<details>\n        <summary>Go to an unanswered question</summary>" in html
    for position in range(3, 21):
        client.post(f"/attempts/{started}/q/{position}", data={"choice": "B", "go": "next"})
    nearly = client.get(f"/attempts/{started}/summary").get_data(as_text=True)
    assert "<strong>1 question unanswered</strong>: it counts as wrong." in nearly
    assert "more than half" not in nearly
    assert "<details open>" in nearly
    client.post(f"/attempts/{started}/q/1", data={"choice": "C", "go": "next"})
    done = client.get(f"/attempts/{started}/summary").get_data(as_text=True)
    assert 'id="unanswered-warning"' not in done
    assert "Every question has an answer." in done


def test_out_of_range_position_is_404(client, started) -> None:
    assert client.get(f"/attempts/{started}/q/21").status_code == 404
    assert client.get(f"/attempts/{started}/q/0").status_code == 404


def test_summary_then_confirmed_submit(client, started, session) -> None:
    client.post(f"/attempts/{started}/q/2", data={"choice": "A", "go": "next"})
    client.post(f"/attempts/{started}/q/5", data={"flagged": "y", "go": "next"})
    html = client.get(f"/attempts/{started}/summary").get_data(as_text=True)
    assert "Unanswered (19)" in html
    assert "Flagged for review (1)" in html
    refused = client.post(f"/attempts/{started}/submit", data={})
    assert refused.status_code == 400
    assert "Tick the box" in refused.get_data(as_text=True)
    assert session.get(Attempt, started).status == "in_progress"
    done = client.post(f"/attempts/{started}/submit", data={"confirm": "y"})
    assert done.status_code == 303
    assert done.location.endswith("/scorecard")
    session.expire_all()
    assert session.get(Attempt, started).status == "submitted"
    # After submitting, the question pages lead to the result.
    assert client.get(f"/attempts/{started}/q/1").location.endswith("/scorecard")
    again = client.post(f"/attempts/{started}/submit", data={})
    assert again.status_code == 303


def test_expired_attempt_is_finalized_on_next_touch(client, started, session, clock) -> None:
    client.post(f"/attempts/{started}/q/1", data={"choice": "B"})
    clock["now"] += timedelta(minutes=41)
    response = client.get(f"/attempts/{started}/q/3")
    assert response.status_code == 302
    assert response.location.endswith("/scorecard")
    attempt = session.get(Attempt, started)
    assert attempt.status == "expired"
    assert attempt.result["answered"] == 1
    late = client.post(f"/attempts/{started}/q/2", data={"choice": "B"})
    assert late.status_code == 302


def test_other_users_pages_are_404(client, started, app) -> None:
    UserFactory(email="nosy@example.com")
    nosy = app.test_client()
    nosy.__class__ = type(client)
    nosy.login("nosy@example.com")
    for path in (f"/attempts/{started}/q/1", f"/attempts/{started}/summary"):
        assert nosy.get(path).status_code == 404
    assert nosy.post(f"/attempts/{started}/submit", data={"confirm": "y"}).status_code == 404


def test_practice_check_shows_feedback(client, session, clock) -> None:
    seed_bank(session, per_subdomain=7)
    UserFactory(email="drill@example.com")
    client.login("drill@example.com")
    location = client.post("/attempts", data={"template": "drill-d2"}).location
    attempt_id = int(re.search(r"/attempts/(\d+)/", location).group(1))
    before = client.get(location).get_data(as_text=True)
    assert "the best answer is" not in before
    assert "Check answer" in before
    # Choosing (Save and next) reveals nothing and the choice can change.
    client.post(location, data={"choice": "B", "go": "stay"})
    client.post(location, data={"choice": "C", "go": "stay"})
    middle = client.get(location).get_data(as_text=True)
    assert "the best answer is" not in middle
    assert 'value="C" checked' in middle
    response = client.post(location, data={"choice": "C", "go": "check"})
    assert response.location.endswith("/q/1")
    after = client.get(location).get_data(as_text=True)
    assert "the best answer is" in after
    assert "rationale" in after
    assert "Check answer" not in after
    # Locked: the disabled options are not posted back, and the answer stays.
    client.post(location, data={"flagged": "y", "go": "stay"})
    item = session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt_id, AttemptItem.position == 1)
    ).one()
    session.refresh(item)
    assert item.flagged
    assert item.choice is not None
    assert item.checked_at is not None
    assert session.get(Attempt, attempt_id).deadline_at is None


def test_practice_check_without_an_answer_says_so(client, session, clock) -> None:
    seed_bank(session, per_subdomain=7)
    UserFactory(email="drill2@example.com")
    client.login("drill2@example.com")
    location = client.post("/attempts", data={"template": "drill-d2"}).location
    page = client.post(location, data={"go": "check"}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "Choose an answer first" in html
    assert "the best answer is" not in html


def test_starting_an_unknown_template_flashes_an_error(client, started) -> None:
    response = client.post("/attempts", data={"template": "nope"}, follow_redirects=True)
    assert "not found" in response.get_data(as_text=True)


def test_pressing_start_again_resumes_at_the_first_unanswered(client, started, session) -> None:
    for position in (1, 2):
        client.post(f"/attempts/{started}/q/{position}", data={"choice": "A", "go": "next"})
    again = client.post("/attempts", data={"template": "quiz-20"})
    assert again.status_code == 303
    assert again.location.endswith(f"/attempts/{started}/q/3")
    page = client.get(again.location).get_data(as_text=True)
    assert "already have this exam in progress" in page
    assert session.query(Attempt).count() == 1


def test_resume_opens_the_question_last_viewed(client, started, session) -> None:
    # Nothing viewed yet: the first unanswered.
    client.post(f"/attempts/{started}/q/1", data={"choice": "A", "go": "stay"})
    assert client.get(f"/attempts/{started}/resume").location.endswith("/q/2")
    assert client.get(f"/attempts/{started}/q/7").status_code == 200
    client.get(f"/attempts/{started}/summary")
    assert session.get(Attempt, started).last_position == 7
    assert client.get(f"/attempts/{started}/resume").location.endswith(f"/attempts/{started}/q/7")
    again = client.post("/attempts", data={"template": "quiz-20"})
    assert again.location.endswith(f"/attempts/{started}/q/7")
    client.post(f"/attempts/{started}/submit", data={"confirm": "y"})
    assert client.get(f"/attempts/{started}/resume").location.endswith("/scorecard")


def test_resume_is_the_owners_only(client, started, app) -> None:
    UserFactory(email="nosy2@example.com")
    nosy = app.test_client()
    nosy.__class__ = type(client)
    nosy.login("nosy2@example.com")
    assert nosy.get(f"/attempts/{started}/resume").status_code == 404
