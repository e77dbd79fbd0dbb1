"""Practice never holds a question of the user's unfinished mock (the black-box finding).

A mock was opened, then topic drills and the review queue were started and answered: their
feedback gave away the keys of most of the mock's items, matched by stem. These tests replay
that through the app, and check by question identity (any version) that with a mock open no
drill or review item shares a question with it, and that once the mock is finished its
questions are eligible again.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from exam_engine.models import Attempt, AttemptItem, ExamTemplate, QuestionVersion
from tests.factories import AssignmentFactory, MembershipFactory, UserFactory
from tests.support import seed_bank, stored_attempt

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TOPIC_DRILLS = ("drill-d1", "drill-d2", "drill-d3", "drill-weak-areas")


@pytest.fixture
def candidate(client, session, clock):
    clock["now"] = T0
    user = UserFactory(email="mocker@example.com")
    client.login("mocker@example.com")
    return user


def question_ids(session, attempt_id: int) -> set[int]:
    session.expire_all()
    return set(
        session.scalars(select(AttemptItem.question_id).where(AttemptItem.attempt_id == attempt_id))
    )


def start(client, template: str):
    return client.post("/api/v1/attempts", json={"template": template})


def answer_all(client, body: dict) -> dict[str, dict]:
    """Answer every position with A and check it; return each stem's feedback (the key)."""
    revealed = {}
    for seq, item in enumerate(body["items"], start=1):
        position = f"/api/v1/attempts/{body['id']}/responses/{item['position']}"
        reply = client.put(position, json={"choice": "A", "flagged": False, "seq": seq})
        assert reply.status_code == 200, reply.get_json()
        assert "feedback" not in reply.get_json()
        checked = client.post(f"{position}/check")
        assert checked.status_code == 200, checked.get_json()
        revealed[item["stem"]] = checked.get_json()
    return revealed


def missed_earlier(session, user, versions, *, kind: str = "mock") -> None:
    """A finished attempt, two hours before T0, that answered every one of ``versions`` wrong."""
    quiz = session.scalar(select(ExamTemplate).where(ExamTemplate.name == "quiz-20"))
    answers = [(v, (v.answer_index + 1) % 4) for v in versions]
    stored_attempt(session, user, quiz, answers, started=T0 - timedelta(hours=2), kind=kind)


def republish(session, question_id: int) -> None:
    """Publish a second version of a question and retire the first, as an edit would."""
    old = session.scalar(
        select(QuestionVersion).where(
            QuestionVersion.question_id == question_id, QuestionVersion.status == "published"
        )
    )
    old.status = "retired"
    stem = old.stem + " (revised)"
    session.add(
        QuestionVersion(
            question_id=question_id,
            number=old.number + 1,
            status="published",
            domain=old.domain,
            subdomain=old.subdomain,
            difficulty=old.difficulty,
            stem=stem,
            options=list(old.options),
            rationales=list(old.rationales),
            answer_index=old.answer_index,
            references=list(old.references),
            enemies=[],
            content_hash=hashlib.sha256(stem.encode()).hexdigest(),
        )
    )
    session.commit()


def test_topic_drills_leave_out_every_question_of_an_open_mock(client, candidate, session):
    # 15 an sub-domain: D2 has 45 items, the mock takes 28 of them, so 17 are left for a
    # 20-item D2 drill while the mock runs (a clear 409) and at least 3 of the mock's once it
    # is finished. D1 and D3 have room for their drills either way.
    seed_bank(session, per_subdomain=15)
    mock = start(client, "aaism-full")
    assert mock.status_code == 201
    mock_body = mock.get_json()
    mock_questions = question_ids(session, mock_body["id"])
    assert len(mock_questions) == 90
    # An edit after the mock started must not let a new version of its question through.
    for question_id in sorted(mock_questions)[::3]:
        republish(session, question_id)
    mock_stems = {item["stem"].removesuffix(" (revised)") for item in mock_body["items"]}

    for template in TOPIC_DRILLS:
        reply = start(client, template)
        if template == "drill-d2":
            assert reply.status_code == 409, reply.get_json()
            assert "D2-" in reply.get_json()["error"]
            continue
        assert reply.status_code == 201, reply.get_json()
        drill = reply.get_json()
        assert drill["mode"] == "practice"
        assert not question_ids(session, drill["id"]) & mock_questions
        revealed = answer_all(client, drill)
        assert len(revealed) == len(drill["items"]) > 0
        stems = {stem.removesuffix(" (revised)") for stem in revealed}
        assert not stems & mock_stems
        submitted = client.post(f"/api/v1/attempts/{drill['id']}/submit")
        assert submitted.get_json()["status"] == "submitted"
        finished = client.get(f"/api/v1/attempts/{drill['id']}").get_json()
        assert not {i["stem"].removesuffix(" (revised)") for i in finished["items"]} & mock_stems

    assert client.post(f"/api/v1/attempts/{mock_body['id']}/submit").status_code == 200
    # Finished, the mock's questions are eligible again: 20 of D2's 45 must take 3 of its 28.
    again = start(client, "drill-d2")
    assert again.status_code == 201, again.get_json()
    assert len(question_ids(session, again.get_json()["id"]) & mock_questions) >= 3


def test_weak_area_drill_page_leaves_out_an_assigned_open_mock(client, candidate, session):
    seed_bank(session, per_subdomain=2)
    quiz = session.scalar(select(ExamTemplate).where(ExamTemplate.name == "quiz-20"))
    membership = MembershipFactory(user=candidate)
    assignment = AssignmentFactory(
        cohort_id=membership.cohort_id,
        template_id=quiz.id,
        opens_at=T0 - timedelta(days=1),
        closes_at=T0 + timedelta(days=1),
    )
    versions = session.scalars(
        select(QuestionVersion).where(QuestionVersion.subdomain.in_(["D1-A", "D1-B"]))
    ).all()
    open_mock = stored_attempt(
        session,
        candidate,
        quiz,
        [(v, None) for v in versions],
        started=T0 - timedelta(minutes=5),
        status="in_progress",
    )
    open_mock.assignment_id = assignment.id
    session.commit()
    reply = client.post("/study/drill", data={})
    assert reply.status_code == 303
    drill = session.scalars(
        select(Attempt).where(Attempt.kind == "drill").order_by(Attempt.id.desc())
    ).first()
    assert drill is not None
    drilled = question_ids(session, drill.id)
    # 26 items, 4 on the mock, 15 drawn: every one from the other 22.
    assert len(drilled) == 15
    assert not drilled & {v.question_id for v in versions}


def test_review_queue_leaves_out_an_open_mock_until_it_is_finished(
    client, candidate, session, clock
):
    versions = seed_bank(session, per_subdomain=2)
    quiz = session.scalar(select(ExamTemplate).where(ExamTemplate.name == "quiz-20"))
    missed = versions[:6]
    # A finished mock with six wrong answers puts six questions in the queue.
    missed_earlier(session, candidate, missed)
    clock["now"] = T0 + timedelta(days=1)
    due = client.get("/api/v1/review/due").get_json()
    assert due["count"] == 6
    # A mock opened now holds three of them (one since edited into a new version).
    held = missed[:3]
    open_mock = stored_attempt(
        session,
        candidate,
        quiz,
        [(v, None) for v in held + versions[10:14]],
        started=clock["now"] - timedelta(minutes=5),
        status="in_progress",
    )
    republish(session, held[0].question_id)
    held_ids = {v.question_id for v in held}
    held_stems = {v.stem for v in held}

    due = client.get("/api/v1/review/due").get_json()
    assert due["count"] == 3
    assert {item["key"] for item in due["items"]} == {v.question.key for v in missed[3:]}
    assert client.post("/study/review", data={}).status_code == 303
    review = session.scalars(select(Attempt).where(Attempt.kind == "review")).one()
    assert question_ids(session, review.id) == {v.question_id for v in missed[3:]}
    body = client.get(f"/api/v1/attempts/{review.id}").get_json()
    revealed = answer_all(client, body)
    assert not {s.removesuffix(" (revised)") for s in revealed} & held_stems
    assert client.post(f"/api/v1/attempts/{review.id}/submit").status_code == 200

    # Still open: a second review has nothing to show.
    assert client.post("/study/review", data={}).status_code == 303
    assert session.scalars(select(Attempt).where(Attempt.kind == "review")).all() == [review]

    assert client.post(f"/api/v1/attempts/{open_mock.id}/submit").status_code == 200
    assert client.get("/api/v1/review/due").get_json()["count"] == 3
    assert client.post("/study/review", data={}).status_code == 303
    second = session.scalars(
        select(Attempt).where(Attempt.kind == "review", Attempt.id != review.id)
    ).one()
    assert question_ids(session, second.id) == held_ids


def test_a_mock_leaves_out_the_questions_of_an_open_drill(client, candidate, session):
    # The other order: a drill opened first must not share a question with a mock started
    # while it is open, or answering it (or finishing it) would show that mock's key.
    # 25 a sub-domain: the drills take at most 7 + 5 of one, the mock at most 10.
    seed_bank(session, per_subdomain=25)
    drills = [start(client, name).get_json() for name in ("drill-d2", "drill-weak-areas")]
    held = set().union(*(question_ids(session, d["id"]) for d in drills))
    assert len(held) == 35
    mock = start(client, "aaism-full")
    assert mock.status_code == 201, mock.get_json()
    assert not question_ids(session, mock.get_json()["id"]) & held


def test_a_mock_the_bank_cannot_fill_beside_an_open_drill_waits_for_it(client, candidate, session):
    # 15 a sub-domain: D2 has 45 items, an open 20-item D2 drill leaves 25 for the mock's 28.
    seed_bank(session, per_subdomain=15)
    drill = start(client, "drill-d2").get_json()
    refused = start(client, "aaism-full")
    assert refused.status_code == 409
    assert "finish it first" in refused.get_json()["error"]
    assert session.scalars(select(Attempt).where(Attempt.kind == "mock")).all() == []
    assert client.post(f"/api/v1/attempts/{drill['id']}/submit").status_code == 200
    assert start(client, "aaism-full").status_code == 201


def test_a_mock_leaves_out_the_questions_of_another_open_mock(client, candidate, session):
    # Two mocks open at once (another template): submitting the first shows its review, keys
    # and all, while the second runs, so they must share no question.
    seed_bank(session, per_subdomain=25)
    quiz = start(client, "quiz-20")
    assert quiz.status_code == 201, quiz.get_json()
    held = question_ids(session, quiz.get_json()["id"])
    assert len(held) == 20
    mock = start(client, "aaism-full")
    assert mock.status_code == 201, mock.get_json()
    assert not question_ids(session, mock.get_json()["id"]) & held


def test_a_mock_the_bank_cannot_fill_beside_another_open_mock_waits_for_it(
    client, candidate, session
):
    # 10 a sub-domain: the open 90-item mock takes all ten of D2-A, which the blueprint-
    # weighted quiz needs too.
    seed_bank(session, per_subdomain=10)
    first = start(client, "aaism-full").get_json()
    refused = start(client, "quiz-20")
    assert refused.status_code == 409
    assert (
        "other mock holds questions this mock needs: finish it first"
        in (refused.get_json()["error"])
    )
    assert client.post(f"/api/v1/attempts/{first['id']}/submit").status_code == 200
    assert start(client, "quiz-20").status_code == 201


def test_a_mock_leaves_out_the_questions_of_an_open_review(client, candidate, session, clock):
    versions = seed_bank(session, per_subdomain=15)
    missed = versions[:: len(versions) // 10][:10]
    # Missed in a drill, not a mock: a mock would count them seen and avoid them anyway.
    missed_earlier(session, candidate, missed, kind="drill")
    clock["now"] = T0 + timedelta(days=1)
    assert client.post("/study/review", data={}).status_code == 303
    review = session.scalars(select(Attempt).where(Attempt.kind == "review")).one()
    held = question_ids(session, review.id)
    assert held == {v.question_id for v in missed}
    mock = start(client, "aaism-full")
    assert mock.status_code == 201, mock.get_json()
    assert not question_ids(session, mock.get_json()["id"]) & held
