"""The adaptive readiness check end to end: API, pages, stopping, balance, access, result."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from exam_engine.models import Attempt, AttemptItem, utcnow
from exam_engine.services import calibration
from exam_engine.services.attempts import OPTION_IDS
from exam_engine.services.scorecards.card import STOPPED
from tests.factories import UserFactory
from tests.support.irt import simulate

EMAIL = "check@example.com"


@pytest.fixture
def user(session):
    return UserFactory(email=EMAIL)


@pytest.fixture
def calibrated(session, bank):
    """The test bank calibrated from 35 simulated candidates' mocks."""
    simulate(session, bank, persons=35)
    calibration.recalibrate(session, now=utcnow())
    return bank


def key_of(session, attempt_id: int, position: int) -> str:
    """The option id the candidate sees for the key (read from the database, as a test may)."""
    item = session.scalar(
        select(AttemptItem).where(
            AttemptItem.attempt_id == attempt_id, AttemptItem.position == position
        )
    )
    session.refresh(item)
    return OPTION_IDS[list(item.option_order).index(item.version.answer_index)]


def run_check(client, session, *, right) -> tuple[int, list[dict]]:
    """Answer a check through the API until it stops; return its id and the items given."""
    started = client.post("/api/v1/attempts", json={"template": "readiness-check"})
    assert started.status_code == 201
    body = started.get_json()
    assert body["adaptive"] is True
    assert len(body["items"]) == 1
    attempt_id = body["id"]
    given = [body["items"][0]]
    seq = 0
    while True:
        position = given[-1]["position"]
        key = key_of(session, attempt_id, position)
        choice = key if right(position) else next(o for o in OPTION_IDS if o != key)
        seq += 1
        saved = client.put(
            f"/api/v1/attempts/{attempt_id}/responses/{position}",
            json={"choice": choice, "seq": seq},
        )
        assert saved.status_code == 200
        assert "feedback" not in saved.get_json()
        step = client.get(f"/api/v1/attempts/{attempt_id}/next").get_json()
        if step["done"]:
            return attempt_id, given
        assert step["position"] == position + 1
        assert set(step["item"]) == {"position", "stem", "options"}
        given.append(step["item"])


def test_api_check_runs_to_its_stopping_rule_with_balance_and_a_verdict(
    client, session, calibrated, user
) -> None:
    client.login(EMAIL)
    attempt_id, given = run_check(client, session, right=lambda p: p % 3 != 0)
    assert 1 <= len(given) <= 40
    assert len({item["stem"] for item in given}) == len(given)
    result = client.get(f"/api/v1/attempts/{attempt_id}/result").get_json()
    check = result["readiness_check"]
    assert [i["position"] for i in check["items"]] == list(range(1, len(given) + 1))
    assert check["verdict"] in ("likely to pass", "not yet")
    assert result["ability"]["available"] is True
    # Why it stopped is the check's own decision, kept with its result: the page does not
    # recompute it on the stored scale, where the estimate differs a little.
    stored = session.get(Attempt, attempt_id).result
    reason = stored["stopped"]
    assert check["stopped"] == STOPPED[reason]
    # So is the estimate it stopped on, and the verdict is that estimate against the cut.
    decided = check["decided_on"]
    assert decided == stored["decided_on"]
    assert set(decided) == {"theta", "se", "cut"}
    assert check["verdict"] == (
        "likely to pass" if decided["theta"] >= decided["cut"] else "not yet"
    )
    if reason == "measured":
        assert decided["se"] <= calibration.SE_TARGET
    if reason in ("above", "below"):
        # The classified stop: ten items at least, well clear of the cut on the shown scale.
        assert 10 <= len(given) < 40
        assert (result["ability"]["theta"] > result["ability"]["cut"]) == (reason == "above")
    else:
        assert (len(given) == 40) == (reason == "limit")
        assert reason in ("measured", "limit")
    # Content balance: each domain within two items of its blueprint share (28/28/34 of 90).
    counts = Counter(i["domain"] for i in check["items"])
    for domain, weight in {"D1": 28, "D2": 28, "D3": 34}.items():
        assert abs(counts[domain] - len(given) * weight / 90) <= 2
    # Finished: asking for more says done, and nothing is added.
    again = client.get(f"/api/v1/attempts/{attempt_id}/next").get_json()
    assert again["done"] is True
    items = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)).all()
    assert len(items) == len(given)


def test_strong_and_weak_candidates_get_opposite_verdicts(
    client, session, calibrated, user
) -> None:
    client.login(EMAIL)
    strong, _ = run_check(client, session, right=lambda p: True)
    weak, _ = run_check(client, session, right=lambda p: False)
    good = client.get(f"/api/v1/attempts/{strong}/result").get_json()
    poor = client.get(f"/api/v1/attempts/{weak}/result").get_json()
    assert good["readiness_check"]["verdict"] == "likely to pass"
    assert poor["readiness_check"]["verdict"] == "not yet"
    assert good["ability"]["theta"] > poor["ability"]["theta"]
    # Answers all one way are a clear case: the check ends on the classified stop (after
    # its ten items), not at 40 items or by the SE, which ten one-sided answers never reach.
    assert good["readiness_check"]["stopped"].startswith("clearly above the pass mark")
    assert poor["readiness_check"]["stopped"].startswith("clearly below the pass mark")
    assert 10 <= len(good["readiness_check"]["items"]) < 40
    assert 10 <= len(poor["readiness_check"]["items"]) < 40
    page = client.get(f"/attempts/{strong}/scorecard").get_data(as_text=True)
    assert "Readiness check: likely to pass" in page
    decided = good["readiness_check"]["decided_on"]
    assert decided["theta"] - 1.96 * decided["se"] > decided["cut"]
    assert (
        poor["readiness_check"]["decided_on"]["theta"]
        + 1.96 * poor["readiness_check"]["decided_on"]["se"]
        < poor["readiness_check"]["decided_on"]["cut"]
    )
    assert f"The check stopped on its own estimate of your ability, {decided['theta']:.2f}" in page


def test_a_check_without_a_recorded_estimate_is_judged_on_the_stored_ability(
    client, session, calibrated, user
) -> None:
    """A check made by an older release (or ended by its deadline) has no recorded estimate."""
    client.login(EMAIL)
    strong, _ = run_check(client, session, right=lambda p: True)
    row = session.get(Attempt, strong)
    row.result = {k: v for k, v in row.result.items() if k not in ("stopped", "decided_on")}
    session.commit()
    result = client.get(f"/api/v1/attempts/{strong}/result").get_json()
    check = result["readiness_check"]
    assert check["decided_on"] is None
    assert check["verdict"] == "likely to pass"
    assert result["ability"]["pass_probability"] >= 0.5
    page = client.get(f"/attempts/{strong}/scorecard").get_data(as_text=True)
    assert "The check stopped on" not in page


def test_next_before_answering_gives_the_same_item(client, session, bank, user) -> None:
    client.login(EMAIL)
    body = client.post("/api/v1/attempts", json={"template": "readiness-check"}).get_json()
    first = client.get(f"/api/v1/attempts/{body['id']}/next").get_json()
    second = client.get(f"/api/v1/attempts/{body['id']}/next").get_json()
    assert first == second
    assert first["position"] == 1
    assert first["done"] is False
    assert first["item"]["stem"] == body["items"][0]["stem"]
    # Starting again resumes the open check instead of making a second one.
    again = client.post("/api/v1/attempts", json={"template": "readiness-check"})
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"]


def test_next_is_404_for_another_users_check_and_for_a_mock(client, session, bank, user) -> None:
    UserFactory(email="other@example.com")
    client.login("other@example.com")
    theirs = client.post("/api/v1/attempts", json={"template": "readiness-check"}).get_json()
    mock = client.post("/api/v1/attempts", json={"template": "quiz-20"}).get_json()
    assert client.get(f"/api/v1/attempts/{mock['id']}/next").status_code == 404
    client.post("/logout")
    client.login(EMAIL)
    assert client.get(f"/api/v1/attempts/{theirs['id']}/next").status_code == 404
    assert client.get(f"/attempts/{theirs['id']}/next").status_code == 404


def test_check_never_shows_an_item_of_the_unfinished_mock(client, session, bank, user) -> None:
    client.login(EMAIL)
    mock = client.post("/api/v1/attempts", json={"template": "aaism-full"}).get_json()
    mock_questions = set(
        session.scalars(
            select(AttemptItem.question_id).where(AttemptItem.attempt_id == mock["id"])
        ).all()
    )
    attempt_id, given = run_check(client, session, right=lambda p: p % 2 == 0)
    shown = set(
        session.scalars(
            select(AttemptItem.question_id).where(AttemptItem.attempt_id == attempt_id)
        ).all()
    )
    assert shown
    assert not (shown & mock_questions)


def test_pages_run_the_check_without_feedback_until_the_end(client, session, bank, user) -> None:
    client.login(EMAIL)
    response = client.post("/attempts", data={"template": "readiness-check"})
    assert response.status_code == 303
    assert response.location.endswith("/q/1")
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == user.id))
    page = client.get(response.location).get_data(as_text=True)
    assert "of up to 40" in page
    assert "Review and submit" not in page
    assert "Save and next" in page
    key = key_of(session, attempt.id, 1)
    posted = client.post(f"/attempts/{attempt.id}/q/1", data={"choice": key, "go": "next"})
    assert posted.status_code == 303
    assert posted.location.endswith(f"/attempts/{attempt.id}/next")
    moved = client.get(posted.location)
    assert moved.status_code == 303
    assert moved.location.endswith(f"/attempts/{attempt.id}/q/2")
    page = client.get(moved.location).get_data(as_text=True)
    assert "is-key" not in page
    assert "best answer" not in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'value="readiness-check"' in dashboard


KEY_MARKS = ("rationale", "answer_index", "correct", "feedback", '"key"', "is-key", "explanation")


def test_get_next_is_idempotent_and_sends_no_key_before_the_end(
    client, session, bank, user
) -> None:
    """GET /next changes nothing while the current item is unanswered: a prefetch, a reload or
    a cross-site GET repeats the same item; once it is answered, exactly one item is added."""
    client.login(EMAIL)
    started = client.post("/api/v1/attempts", json={"template": "readiness-check"})
    attempt_id = started.get_json()["id"]
    sent = [started.get_data(as_text=True)]

    def given() -> int:
        session.expire_all()
        return len(
            session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)).all()
        )

    position, seq = 1, 0
    while True:
        # Unanswered: two GETs in a row (API and page) give the same item and add nothing.
        count = given()
        first = client.get(f"/api/v1/attempts/{attempt_id}/next")
        second = client.get(f"/api/v1/attempts/{attempt_id}/next")
        page = client.get(f"/attempts/{attempt_id}/next")
        assert first.get_json() == second.get_json()
        assert first.get_json()["position"] == position
        assert first.get_json()["done"] is False
        assert page.status_code == 303
        assert page.location.endswith(f"/q/{position}")
        assert given() == count == position
        sent += [first.get_data(as_text=True), second.get_data(as_text=True)]
        sent.append(client.get(f"/attempts/{attempt_id}/q/{position}").get_data(as_text=True))
        key = key_of(session, attempt_id, position)
        seq += 1
        saved = client.put(
            f"/api/v1/attempts/{attempt_id}/responses/{position}",
            json={"choice": key if position % 2 else "D" if key != "D" else "A", "seq": seq},
        )
        sent.append(saved.get_data(as_text=True))
        # Answered: the next GET draws exactly one item; the one after repeats it.
        step = client.get(f"/api/v1/attempts/{attempt_id}/next").get_json()
        again = client.get(f"/api/v1/attempts/{attempt_id}/next").get_json()
        assert step == again
        if step["done"]:
            assert given() == position
            break
        position += 1
        assert step["position"] == position
        assert given() == position
    assert 1 < position <= 40
    for body in sent:
        lowered = body.lower()
        for mark in KEY_MARKS:
            assert mark not in lowered, f"{mark!r} sent before the end: {body[:200]}"
    # Finished: the result now carries the key information, as the scorecard does.
    result = client.get(f"/api/v1/attempts/{attempt_id}/result").get_json()
    assert len(result["readiness_check"]["items"]) == position
