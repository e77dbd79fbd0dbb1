"""The attempt JSON API: shapes, idempotence, deadlines, ownership, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from exam_engine.models import Attempt, AttemptItem, Response, utcnow
from tests.factories import UserFactory
from tests.support import add_template, seed_bank


@pytest.fixture
def clock(app):
    """A settable server clock for the app under test."""
    state = {"now": utcnow()}
    app.config["CLOCK"] = lambda: state["now"]
    yield state
    app.config.pop("CLOCK", None)


@pytest.fixture
def candidate(client, session):
    seed_bank(session, per_subdomain=4)
    user = UserFactory(email="api@example.com")
    client.login("api@example.com")
    return user


def start(client, template="quiz-20"):
    response = client.post("/api/v1/attempts", json={"template": template})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def put(client, attempt_id, position, **body):
    return client.put(f"/api/v1/attempts/{attempt_id}/responses/{position}", json=body)


def test_create_returns_the_form_without_keys(client, candidate, clock) -> None:
    data = start(client)
    assert set(data) >= {"id", "deadline", "remaining_seconds", "items", "status", "responses"}
    assert data["deadline"].endswith("Z")
    assert data["remaining_seconds"] == 40 * 60
    assert len(data["items"]) == 20
    first = data["items"][0]
    assert set(first) == {"position", "stem", "options"}
    assert [o["id"] for o in first["options"]] == ["A", "B", "C", "D"]
    assert all(set(o) == {"id", "text"} for o in first["options"])
    assert "feedback" not in data
    assert "result_url" not in data


def test_save_reload_and_resume(client, candidate, clock) -> None:
    data = start(client)
    response = put(client, data["id"], 3, choice="B", flagged=True, seq=1)
    assert response.status_code == 200
    body = response.get_json()
    assert body["accepted"]
    assert body["choice"] == "B"
    assert body["flagged"]
    assert body["saved_at"].endswith("Z")
    assert body["remaining_seconds"] == 40 * 60
    clock["now"] += timedelta(minutes=5)
    again = client.get(f"/api/v1/attempts/{data['id']}").get_json()
    assert again["responses"][2] == {"position": 3, "choice": "B", "flagged": True, "struck": []}
    assert again["remaining_seconds"] == 35 * 60
    assert again["seq"] == 1


def test_duplicate_and_out_of_order_seq(client, candidate, clock, session) -> None:
    data = start(client)
    assert put(client, data["id"], 1, choice="A", seq=4).get_json()["accepted"]
    duplicate = put(client, data["id"], 1, choice="C", seq=4).get_json()
    assert not duplicate["accepted"]
    assert duplicate["choice"] == "A"
    assert put(client, data["id"], 1, choice="D", seq=9).get_json()["choice"] == "D"
    older = put(client, data["id"], 1, choice="B", seq=6).get_json()
    assert not older["accepted"]
    assert older["choice"] == "D"
    assert older["attempt_seq"] == 9
    assert session.query(Response).count() == 3


def test_save_after_deadline_plus_grace_is_409_and_earlier_saves_count(
    client, candidate, clock, session
) -> None:
    data = start(client)
    put(client, data["id"], 1, choice="A", seq=1)
    clock["now"] += timedelta(minutes=40, seconds=30)
    assert put(client, data["id"], 2, choice="A", seq=2).status_code == 200  # within grace
    clock["now"] += timedelta(seconds=1)
    late = put(client, data["id"], 3, choice="A", seq=3)
    assert late.status_code == 409
    assert "time is up" in late.get_json()["error"]
    attempt = session.get(Attempt, data["id"])
    assert attempt.status == "expired"
    assert attempt.result["answered"] == 2
    assert client.get(f"/api/v1/attempts/{data['id']}").get_json()["status"] == "expired"


def test_submit_twice_same_result(client, candidate, clock) -> None:
    data = start(client)
    put(client, data["id"], 1, choice="A", seq=1)
    first = client.post(f"/api/v1/attempts/{data['id']}/submit").get_json()
    clock["now"] += timedelta(minutes=1)
    second = client.post(f"/api/v1/attempts/{data['id']}/submit").get_json()
    assert first == second
    assert first["status"] == "submitted"
    assert first["result_url"] == f"/attempts/{data['id']}/scorecard"
    assert put(client, data["id"], 2, choice="A", seq=2).status_code == 409


def test_another_users_attempt_is_404(client, candidate, clock, app) -> None:
    data = start(client)
    UserFactory(email="other@example.com")
    other = app.test_client()
    other.__class__ = type(client)
    other.login("other@example.com")
    assert other.get(f"/api/v1/attempts/{data['id']}").status_code == 404
    assert put(other, data["id"], 1, choice="A", seq=1).status_code == 404
    assert other.post(f"/api/v1/attempts/{data['id']}/submit").status_code == 404


def test_anonymous_gets_401_json(raw_client) -> None:
    response = raw_client.get("/api/v1/attempts/1")
    assert response.status_code == 401
    assert response.is_json


def test_csrf_header_required(client, candidate, clock) -> None:
    data = start(client)
    response = client.put(f"/api/v1/attempts/{data['id']}/responses/1", json={"seq": 1}, csrf=False)
    assert response.status_code == 400
    assert "security token" in response.get_json()["error"]


@pytest.mark.parametrize(
    ("position", "body", "status", "message"),
    [
        (1, {"choice": "E", "seq": 1}, 400, "'E' is not one of"),
        (1, {"choice": 2, "seq": 1}, 400, "choice: expected"),
        (1, {"choice": "A", "seq": "1"}, 400, "seq: expected a positive integer"),
        (1, {"choice": "A", "seq": -3}, 400, "seq: expected a positive integer"),
        (1, {"choice": "A", "seq": True}, 400, "seq: expected a positive integer"),
        (1, {"choice": "A", "seq": 1, "flagged": "yes"}, 400, "flagged: expected"),
        (1, {"choice": "A", "seq": 1, "key": "x"}, 400, "unknown field key"),
        (-1, {"choice": "A", "seq": 1}, 400, "position: must be 1 or more"),
        (99, {"choice": "A", "seq": 1}, 404, "no position 99"),
    ],
)
def test_bad_saves_are_clear_4xx(
    client, candidate, clock, session, position, body, status, message
):
    data = start(client)
    response = put(client, data["id"], position, **body)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert session.query(Response).count() == 0


@pytest.mark.parametrize(
    ("payload", "content_type", "message"),
    [
        ("not json", "application/json", "expected a JSON object"),
        ("[1, 2]", "application/json", "expected a JSON object"),
        ('{"choice": "A", "seq": 1}', "text/plain", "Content-Type: application/json"),
    ],
)
def test_malformed_bodies(client, candidate, clock, payload, content_type, message) -> None:
    data = start(client)
    response = client.put(
        f"/api/v1/attempts/{data['id']}/responses/1", data=payload, content_type=content_type
    )
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_oversized_body_is_413(client, candidate, app) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post("/api/v1/attempts", json={"template": "x" * 5000})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    assert response.status_code == 413
    assert response.is_json


def test_unknown_template_is_404_with_names(client, candidate) -> None:
    response = client.post("/api/v1/attempts", json={"template": "nope"})
    assert response.status_code == 404
    assert "known:" in response.get_json()["error"]
    assert client.post("/api/v1/attempts", json={}).status_code == 400


def test_two_sessions_on_one_attempt_lose_nothing(client, candidate, clock, app, session):
    data = start(client)
    tab2 = app.test_client()
    tab2.__class__ = type(client)
    tab2.login("api@example.com")
    base = client.get(f"/api/v1/attempts/{data['id']}").get_json()["seq"]
    # Both tabs start from the server's seq and save different positions with the same number.
    assert put(client, data["id"], 1, choice="A", seq=base + 1).get_json()["accepted"]
    assert put(tab2, data["id"], 2, choice="B", seq=base + 1).get_json()["accepted"]
    # Same position: the tab behind is told so and re-sends above the server's seq.
    stale = put(tab2, data["id"], 1, choice="C", seq=base + 1).get_json()
    assert not stale["accepted"]
    assert put(tab2, data["id"], 1, choice="C", seq=stale["attempt_seq"] + 1).get_json()["accepted"]
    final = client.get(f"/api/v1/attempts/{data['id']}").get_json()["responses"]
    assert final[0]["choice"] == "C"
    assert final[1]["choice"] == "B"


def test_practice_saves_reveal_nothing_until_checked(client, candidate, clock, session) -> None:
    data = start(client, "drill-d3")
    assert data["remaining_seconds"] is None
    assert data["deadline"] is None
    first = put(client, data["id"], 1, choice="A", seq=1).get_json()
    assert "feedback" not in first
    assert "key" not in first
    # The learner changes their mind: accepted, still nothing revealed.
    second = put(client, data["id"], 1, choice="B", seq=2)
    assert second.status_code == 200
    assert second.get_json()["choice"] == "B"
    assert "feedback" not in second.get_json()
    assert "feedback" not in client.get(f"/api/v1/attempts/{data['id']}").get_json()
    item = session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == data["id"], AttemptItem.position == 1)
    ).one()
    assert item.checked_at is None


def check(client, attempt_id, position):
    return client.post(f"/api/v1/attempts/{attempt_id}/responses/{position}/check")


def test_check_reveals_locks_and_is_idempotent(client, candidate, clock, session) -> None:
    data = start(client, "drill-d3")
    put(client, data["id"], 1, choice="C", seq=1)
    response = check(client, data["id"], 1)
    assert response.status_code == 200
    feedback = response.get_json()
    assert set(feedback) == {"correct", "key", "rationales", "references"}
    assert feedback["key"] in "ABCD"
    assert feedback["correct"] == (feedback["key"] == "C")
    assert set(feedback["rationales"]) == set("ABCD")
    # The lock is stored on the item.
    session.expire_all()
    item = session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == data["id"], AttemptItem.position == 1)
    ).one()
    assert item.checked_at is not None
    checked_at = item.checked_at
    # Checking twice returns the same result and does not move the lock.
    clock["now"] += timedelta(minutes=1)
    assert check(client, data["id"], 1).get_json() == feedback
    session.expire_all()
    assert session.get(AttemptItem, item.id).checked_at == checked_at
    # A later change of answer is refused with a message; the flag may still change.
    refused = put(client, data["id"], 1, choice="A", seq=2)
    assert refused.status_code == 409
    assert "locked" in refused.get_json()["error"]
    assert put(client, data["id"], 1, choice="C", flagged=True, seq=3).get_json()["flagged"]
    # The attempt now carries that position's feedback, and only that one.
    again = client.get(f"/api/v1/attempts/{data['id']}").get_json()
    assert again["feedback"] == {"1": feedback}


def test_check_without_an_answer_or_outside_practice_is_409(client, candidate, clock) -> None:
    drill = start(client, "drill-d3")
    empty = check(client, drill["id"], 2)
    assert empty.status_code == 409
    assert "no answer to check" in empty.get_json()["error"]
    assert check(client, drill["id"], 99).status_code == 404
    assert check(client, drill["id"], 0).status_code in (400, 404)
    client.post(f"/api/v1/attempts/{drill['id']}/submit")
    assert check(client, drill["id"], 1).status_code == 409
    mock = start(client)
    put(client, mock["id"], 1, choice="A", seq=1)
    refused = check(client, mock["id"], 1)
    assert refused.status_code == 409
    assert "only in practice" in refused.get_json()["error"]
    assert "key" not in refused.get_json()


def test_only_the_owner_checks(client, candidate, clock, app) -> None:
    data = start(client, "drill-d3")
    put(client, data["id"], 1, choice="A", seq=1)
    UserFactory(email="other@example.com")
    other = app.test_client()
    other.__class__ = type(client)
    other.login("other@example.com")
    assert check(other, data["id"], 1).status_code == 404
    assert "feedback" not in client.get(f"/api/v1/attempts/{data['id']}").get_json()


def test_sweep_command_is_safe_twice(app, session, clock) -> None:
    seed_bank(session, per_subdomain=2)
    add_template(session, "tiny", item_count=4, minutes=1)
    from exam_engine.services import attempts

    user = UserFactory()
    attempt = attempts.start_attempt(session, user.id, "tiny", now=utcnow() - timedelta(minutes=5))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["exam", "sweep"])
    assert first.exit_code == 0
    assert f"finalized 1 expired attempt: [{attempt.id}]" in first.output
    second = runner.invoke(args=["exam", "sweep"])
    assert second.exit_code == 0
    assert "finalized 0" in second.output
    session.expire_all()
    assert session.get(Attempt, attempt.id).status == "expired"
    assert session.query(AttemptItem).count() == 4


def test_starting_again_answers_the_open_attempt(client, candidate, clock, session) -> None:
    data = start(client)
    put(client, data["id"], 2, choice="C", seq=1)
    clock["now"] += timedelta(minutes=3)
    again = client.post("/api/v1/attempts", json={"template": "quiz-20"})
    assert again.status_code == 200
    assert again.headers["Location"].endswith(f"/api/v1/attempts/{data['id']}")
    body = again.get_json()
    assert body["id"] == data["id"]
    assert body["items"] == data["items"]
    assert body["responses"][1] == {"position": 2, "choice": "C", "flagged": False, "struck": []}
    assert body["seq"] == 1
    assert body["remaining_seconds"] == 37 * 60
    assert "feedback" not in body
    assert session.query(Attempt).filter_by(user_id=candidate.id).count() == 1


def test_a_finished_or_timed_out_attempt_is_not_resumed(client, candidate, clock) -> None:
    first = start(client)
    assert client.post(f"/api/v1/attempts/{first['id']}/submit").status_code == 200
    second = start(client)
    assert second["id"] != first["id"]
    clock["now"] += timedelta(minutes=40, seconds=1)  # past the deadline, still in the grace
    third = start(client)
    assert third["id"] not in (first["id"], second["id"])


def test_another_template_starts_its_own_attempt(client, candidate, clock, session) -> None:
    add_template(session, "quiz-b", item_count=10, minutes=20)
    first = start(client)
    other = start(client, "quiz-b")
    assert other["id"] != first["id"]
    assert len(other["items"]) == 10


def test_struck_options_are_kept_and_never_graded(client, candidate, clock, session) -> None:
    data = start(client)
    saved = put(client, data["id"], 1, choice="B", struck=["A", "C"], seq=1).get_json()
    assert saved["struck"] == ["A", "C"]
    assert saved["choice"] == "B"
    # A save that leaves struck out keeps the stored ones; an empty list clears them.
    assert put(client, data["id"], 1, choice="D", seq=2).get_json()["struck"] == ["A", "C"]
    reloaded = client.get(f"/api/v1/attempts/{data['id']}").get_json()["responses"][0]
    assert reloaded == {"position": 1, "choice": "D", "flagged": False, "struck": ["A", "C"]}
    assert put(client, data["id"], 1, choice="D", struck=[], seq=3).get_json()["struck"] == []
    # Striking alone answers nothing.
    put(client, data["id"], 2, struck=["A", "B", "C"], seq=4)
    done = client.post(f"/api/v1/attempts/{data['id']}/submit").get_json()
    assert done["score"]["total"] == 20
    attempt = session.get(Attempt, data["id"])
    session.refresh(attempt)
    assert attempt.result["answered"] == 1


@pytest.mark.parametrize(
    "struck",
    [["E"], ["A", "A"], "A", [1], {"A": True}],
    ids=["unknown", "twice", "str", "int", "obj"],
)
def test_bad_struck_is_400(client, candidate, clock, struck) -> None:
    data = start(client)
    response = put(client, data["id"], 1, choice="A", struck=struck, seq=1)
    assert response.status_code == 400
    assert "struck" in response.get_json()["error"]


def test_reload_of_a_mock_in_progress_matches_the_full_view(client, candidate, clock, session):
    # A reload (or a retried start) of an attempt that reveals nothing is built from one
    # narrow query; it must say exactly what the view built from the full items says.
    from exam_engine.services import attempts
    from exam_engine.services.attempt_views import attempt_json

    data = start(client)
    assert put(client, data["id"], 2, choice="C", flagged=True, seq=1).status_code == 200
    assert put(client, data["id"], 5, choice="A", seq=2, struck=["B", "D"]).status_code == 200
    assert put(client, data["id"], 2, choice="D", flagged=True, seq=3).status_code == 200
    assert put(client, data["id"], 7, choice=None, flagged=True, seq=4).status_code == 200
    reloaded = client.get(f"/api/v1/attempts/{data['id']}").get_json()
    retried = client.post("/api/v1/attempts", json={"template": "quiz-20"})
    assert retried.status_code == 200
    with client.application.test_request_context():
        attempt = attempts.load_for_view(session, candidate.id, data["id"])
        full = attempt_json(attempt, clock["now"], seq=attempts.attempt_seq(session, data["id"]))
    assert reloaded == full
    assert retried.get_json() == full
    assert full["seq"] == 4
    assert full["responses"][1] == {"position": 2, "choice": "D", "flagged": True, "struck": []}
    assert full["responses"][4]["struck"] == ["B", "D"]
    assert "feedback" not in full
