"""Study service: weak-area drills, the FSRS review queue fed lazily, streaks, mastery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.models import (
    Attempt,
    AttemptItem,
    ExamTemplate,
    QuestionVersion,
    ReviewCard,
    ReviewLog,
)
from exam_engine.services import attempts, launch, study
from exam_engine.services.errors import Conflict, ValidationFailed
from tests.factories import UserFactory
from tests.support import count, seed_bank

GRACE = 30
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LIBRARY = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


@pytest.fixture
def user(session):
    return UserFactory()


def key_of(item: AttemptItem) -> str:
    return attempts.stored_to_choice(item, item.version.answer_index)


def wrong_of(item: AttemptItem) -> str:
    return next(c for c in "ABCD" if c != key_of(item))


def answer(session, user, attempt, position, *, correct, at, flagged=False):
    item = attempt.items[position - 1]
    seq = attempts.attempt_seq(session, attempt.id) + 1
    choice = key_of(item) if correct else wrong_of(item)
    return attempts.save_response(
        session,
        user.id,
        attempt.id,
        position,
        choice=choice,
        flagged=flagged,
        seq=seq,
        now=at,
        grace_seconds=GRACE,
    )


def submit(session, user, attempt, at):
    return attempts.submit_attempt(session, user.id, attempt.id, now=at, grace_seconds=GRACE)


def card_of(session, user, item) -> ReviewCard | None:
    return session.scalar(
        select(ReviewCard).where(
            ReviewCard.user_id == user.id, ReviewCard.question_id == item.question_id
        )
    )


def library_due(script: list[tuple[Rating, datetime]], card_id: int = 1) -> datetime:
    """The due date the fsrs library itself gives after ``script``."""
    card = Card(card_id=card_id, due=script[0][1])
    for rating, at in script:
        card, _ = LIBRARY.review_card(card, rating, at)
    return card.due


# --- drills ----------------------------------------------------------------------------------


def test_start_attempt_dispatches_the_drill_template(session, bank, user) -> None:
    attempt = launch.start(session, user.id, study.DRILL_TEMPLATE, now=T0, seed=4)
    assert (attempt.kind, attempt.mode, attempt.status) == ("drill", "practice", "in_progress")
    assert attempt.deadline_at is None
    assert attempt.seed == 4
    assert len(attempt.items) == 15
    assert len({i.question_id for i in attempt.items}) == 15
    template = session.get(ExamTemplate, attempt.template_id)
    assert template.name == study.DRILL_TEMPLATE
    assert not template.is_active
    # The template row is made once, however many drills start.
    launch.start(session, user.id, study.DRILL_TEMPLATE, now=T0)
    rows = select(func.count()).where(ExamTemplate.name == study.DRILL_TEMPLATE)
    assert session.scalar(rows) == 1


def test_the_drill_draws_only_from_requested_subdomains_and_respects_the_seed(
    session, bank
) -> None:
    first = study.start_weak_area_drill(
        session, UserFactory().id, now=T0, seed=11, subdomains=["D2-B", "D3-A"]
    )
    second = study.start_weak_area_drill(
        session, UserFactory().id, now=T0, seed=11, subdomains=["D2-B", "D3-A"]
    )
    other = study.start_weak_area_drill(
        session, UserFactory().id, now=T0, seed=12, subdomains=["D2-B", "D3-A"]
    )
    subdomains = {i.version.subdomain for i in first.items}
    assert subdomains == {"D2-B", "D3-A"}
    assert len(first.items) == 15

    def form(attempt: Attempt) -> list:
        return [(i.question_version_id, i.option_order) for i in attempt.items]

    assert form(first) == form(second)
    assert form(first) != form(other)


def test_the_drill_goes_where_the_candidate_is_weak(session, bank, user) -> None:
    # A finished mock with every D1-A item wrong and every other item right.
    mock = attempts.start_attempt(session, user.id, "aaism-full", now=T0, seed=1)
    for item in mock.items:
        answer(session, user, mock, item.position, correct=item.version.subdomain != "D1-A", at=T0)
    submit(session, user, mock, T0 + timedelta(minutes=30))
    drill = study.start_weak_area_drill(session, user.id, now=T0 + timedelta(hours=1), seed=3)
    subdomains = [i.version.subdomain for i in drill.items]
    assert subdomains.count("D1-A") == 5  # the per-sub-domain cap: a third of the drill
    # Unseen items first: of D1-A's 10 items the drill repeats a mock item only when it must.
    shown = {i.question_id for i in mock.items if i.version.subdomain == "D1-A"}
    repeated = {i.question_id for i in drill.items} & shown
    assert len(repeated) == max(0, 5 - (10 - len(shown)))


def test_unknown_subdomains_and_an_empty_bank_write_nothing(session, user) -> None:
    with pytest.raises(ValidationFailed, match="subdomains: unknown sub-domain.*'D9-Z'"):
        study.start_weak_area_drill(session, user.id, now=T0, subdomains=["D1-A", "D9-Z"])
    with pytest.raises(Conflict, match="no published items to drill"):
        study.start_weak_area_drill(session, user.id, now=T0)
    assert count(session, Attempt) == 0
    assert count(session, ExamTemplate) == 0


def test_a_mock_after_drills_still_avoids_items_seen_in_earlier_mocks(session, user) -> None:
    seed_bank(session, per_subdomain=4)  # 52 items: two 20-item mocks and two drills crowd it
    first = attempts.start_attempt(session, user.id, "quiz-20", now=T0)
    submit(session, user, first, T0 + timedelta(minutes=5))
    for n in range(2):
        drill = launch.start(session, user.id, study.DRILL_TEMPLATE, now=T0, seed=n)
        assert drill.kind == "drill"
        submit(session, user, drill, T0 + timedelta(minutes=10 + n))
    second = attempts.start_attempt(session, user.id, "quiz-20", now=T0 + timedelta(hours=1))
    assert not {i.question_id for i in first.items} & {i.question_id for i in second.items}
    assert sum(attempts.seen_counts(session, user.id).values()) == 40


# --- feeding the review queue ----------------------------------------------------------------


def test_a_finished_mock_feeds_the_queue_with_fsrs_ratings(session, bank, user) -> None:
    mock = attempts.start_attempt(session, user.id, "quiz-20", now=T0)
    at = T0 + timedelta(seconds=30)
    answer(session, user, mock, 1, correct=False, at=at)
    answer(session, user, mock, 2, correct=True, flagged=True, at=at + timedelta(seconds=30))
    answer(session, user, mock, 3, correct=True, at=at + timedelta(seconds=60))
    answer(session, user, mock, 4, correct=False, flagged=True, at=at + timedelta(seconds=90))
    # A right answer after more than three minutes on the item is "slow": Hard.
    answer(session, user, mock, 5, correct=True, at=at + timedelta(seconds=90 + 200))
    finished = T0 + timedelta(minutes=20)
    submit(session, user, mock, finished)
    assert study.record_outcomes(session, user.id, now=finished) == 4

    ratings = {1: Rating.Again, 2: Rating.Hard, 4: Rating.Again, 5: Rating.Hard}
    for position, rating in ratings.items():
        card = card_of(session, user, mock.items[position - 1])
        assert card is not None, position
        assert card.due_at == library_due([(rating, finished)])
        log = session.scalar(select(ReviewLog).where(ReviewLog.card_id == card.id))
        assert (log.rating, log.attempt_id, log.reviewed_at) == (int(rating), mock.id, finished)
    # Right and fast, or left blank: not in the queue.
    assert card_of(session, user, mock.items[2]) is None
    assert card_of(session, user, mock.items[5]) is None
    assert count(session, ReviewCard) == 4


def test_recording_twice_changes_nothing(session, bank, user, app) -> None:
    mock = attempts.start_attempt(session, user.id, "quiz-20", now=T0)
    answer(session, user, mock, 1, correct=False, at=T0)
    submit(session, user, mock, T0 + timedelta(minutes=5))
    later = T0 + timedelta(hours=1)
    assert study.record_outcomes(session, user.id, now=later) == 1
    state = session.scalar(select(ReviewCard.state))
    assert study.record_outcomes(session, user.id, now=later) == 0
    # A second request, on a connection of its own, finds nothing to do either.
    other = Session(session.get_bind())
    try:
        assert study.record_outcomes(other, user.id, now=later + timedelta(days=3)) == 0
        study.summary(other, user.id, now=later)
    finally:
        other.close()
    session.expire_all()
    assert count(session, ReviewLog) == 1
    assert count(session, ReviewCard) == 1
    assert session.scalar(select(ReviewCard.state)) == state


def test_an_all_right_attempt_writes_nothing_and_is_read_again(session, bank, user) -> None:
    mock = attempts.start_attempt(session, user.id, "quiz-20", now=T0)
    answer(session, user, mock, 1, correct=True, at=T0)
    submit(session, user, mock, T0 + timedelta(minutes=5))
    assert study.record_outcomes(session, user.id, now=T0 + timedelta(hours=1)) == 0
    assert count(session, ReviewCard) == 0
    assert count(session, ReviewLog) == 0


def test_in_progress_mocks_and_other_users_are_left_alone(session, bank, user) -> None:
    mock = attempts.start_attempt(session, user.id, "quiz-20", now=T0)
    answer(session, user, mock, 1, correct=False, at=T0)
    assert study.record_outcomes(session, user.id, now=T0 + timedelta(minutes=1)) == 0
    submit(session, user, mock, T0 + timedelta(minutes=5))
    stranger = UserFactory()
    assert study.record_outcomes(session, stranger.id, now=T0 + timedelta(hours=1)) == 0
    assert study.due_items(session, stranger.id, now=T0 + timedelta(days=2)) == []
    assert study.record_outcomes(session, user.id, now=T0 + timedelta(hours=1)) == 1
    assert len(study.due_items(session, user.id, now=T0 + timedelta(days=2))) == 1


def test_a_right_answer_only_reviews_a_card_that_already_exists(session, bank, user) -> None:
    drill = study.start_weak_area_drill(session, user.id, now=T0, seed=2, subdomains=["D1-A"])
    answer(session, user, drill, 1, correct=False, at=T0 + timedelta(seconds=20))
    submit(session, user, drill, T0 + timedelta(minutes=5))
    study.record_outcomes(session, user.id, now=T0 + timedelta(minutes=6))
    missed = drill.items[0]
    # The next drill shows the missed item again (the bank has 10 D1-A items); right now: Good.
    again = study.start_weak_area_drill(
        session, user.id, now=T0 + timedelta(days=1), seed=5, subdomains=["D1-A"]
    )
    positions = {i.question_id: i.position for i in again.items}
    assert missed.question_id in positions
    for item in again.items:
        answer(session, user, again, item.position, correct=True, at=T0 + timedelta(days=1))
    finished = T0 + timedelta(days=1, minutes=10)
    submit(session, user, again, finished)
    assert study.record_outcomes(session, user.id, now=finished) == 1
    card = card_of(session, user, missed)
    assert card.due_at == library_due(
        [(Rating.Again, T0 + timedelta(minutes=5)), (Rating.Good, finished)]
    )
    assert count(session, ReviewCard) == 1


# --- review sessions -------------------------------------------------------------------------


def _mock_with_misses(session, user, misses: int = 3) -> Attempt:
    mock = attempts.start_attempt(session, user.id, "quiz-20", now=T0)
    for position in range(1, misses + 1):
        answer(session, user, mock, position, correct=False, at=T0 + timedelta(seconds=position))
    submit(session, user, mock, T0 + timedelta(minutes=10))
    return mock


def test_due_dates_follow_fsrs_through_mock_and_reviews(session, bank, user) -> None:
    mock = _mock_with_misses(session, user)
    mocked = T0 + timedelta(minutes=10)
    tracked = {item.question_id for item in mock.items[:3]}
    with pytest.raises(Conflict, match="nothing is due"):
        study.start_review(session, user.id, now=T0 + timedelta(hours=2))

    script: dict[int, list[tuple[Rating, datetime]]] = {
        q: [(Rating.Again, mocked)] for q in tracked
    }
    day = T0 + timedelta(days=1, hours=1)
    plan = [(True, False), (False, False), (True, True)]  # Good, Again, Hard
    for round_ in range(3):
        cutoff = datetime.combine(day.date() + timedelta(days=1), datetime.min.time(), UTC)
        expected = {
            card.question_id for card in session.scalars(select(ReviewCard)) if card.due_at < cutoff
        }
        review, position = study.start_review(session, user.id, now=day)
        assert (review.kind, review.mode, position) == ("review", "practice", 1)
        due_now = {i.question_id for i in review.items}
        assert due_now == expected
        assert due_now <= tracked
        for n, item in enumerate(review.items):
            correct, flagged = plan[(n + round_) % 3]
            at = day + timedelta(seconds=20 * (n + 1))
            answer(session, user, review, item.position, correct=correct, flagged=flagged, at=at)
            rating = Rating.Again if not correct else (Rating.Hard if flagged else Rating.Good)
            script[item.question_id].append((rating, at))
        study.record_outcomes(session, user.id, now=day + timedelta(minutes=5))
        for question_id in due_now:
            card = session.scalar(
                select(ReviewCard).where(
                    ReviewCard.user_id == user.id, ReviewCard.question_id == question_id
                )
            )
            assert card.due_at == library_due(script[question_id], question_id), round_
        submit(session, user, review, day + timedelta(minutes=6))
        # Move to the next day on which something is due.
        day = max(
            day + timedelta(days=1), min(c.due_at for c in session.scalars(select(ReviewCard)))
        )
    logs = session.scalars(select(ReviewLog)).all()
    assert len(logs) == sum(len(s) for s in script.values())


def test_a_review_session_resumes_then_rolls_over(session, bank, user) -> None:
    _mock_with_misses(session, user, misses=2)
    day = T0 + timedelta(days=1, hours=1)
    review, position = study.start_review(session, user.id, now=day)
    assert len(review.items) == 2
    answer(session, user, review, 1, correct=True, at=day)
    # Not finished: the same session, at its first unanswered position.
    same, position = study.start_review(session, user.id, now=day + timedelta(minutes=1))
    assert (same.id, position) == (review.id, 2)
    answer(session, user, review, 2, correct=False, at=day + timedelta(minutes=2))
    # Every item answered: that session is submitted; the miss is due tomorrow, not today.
    with pytest.raises(Conflict, match="nothing is due"):
        study.start_review(session, user.id, now=day + timedelta(minutes=3))
    session.refresh(review)
    assert review.status == "submitted"
    tomorrow = day + timedelta(days=1)
    fresh, _ = study.start_review(session, user.id, now=tomorrow)
    assert fresh.id != review.id
    assert len(fresh.items) == 1


def test_due_items_skip_retired_questions_and_tomorrow(session, bank, user) -> None:
    mock = _mock_with_misses(session, user, misses=2)
    today = T0 + timedelta(hours=5)
    study.record_outcomes(session, user.id, now=today)
    assert study.due_items(session, user.id, now=today) == []
    day = T0 + timedelta(days=1)
    due = study.due_items(session, user.id, now=day)
    assert len(due) == 2
    assert due[0].due <= due[1].due
    assert {d.subdomain for d in due} <= {i.version.subdomain for i in mock.items[:2]}
    assert due[0].to_dict()["due"].endswith("Z")
    version = session.get(QuestionVersion, mock.items[0].question_version_id)
    version.status = "retired"
    session.commit()
    left = study.due_items(session, user.id, now=day)
    assert len(left) == 1
    review, _ = study.start_review(session, user.id, now=day)
    assert [i.question_id for i in review.items] == [mock.items[1].question_id]


def test_drills_and_reviews_never_count_as_mocks(session, bank, user) -> None:
    mock = _mock_with_misses(session, user, misses=2)
    drill = study.start_weak_area_drill(session, user.id, now=T0 + timedelta(hours=1), seed=1)
    submit(session, user, drill, T0 + timedelta(hours=2))
    study.start_review(session, user.id, now=T0 + timedelta(days=1, hours=1))
    seen = attempts.seen_counts(session, user.id)
    assert sum(seen.values()) == len(mock.items)
    kinds = sorted(session.scalars(select(Attempt.kind)))
    assert kinds == ["drill", "mock", "review"]


# --- summary, streak, mastery ----------------------------------------------------------------


def test_summary_counts_due_items_queue_and_streak(session, bank, user) -> None:
    empty = study.summary(session, user.id, now=T0)
    assert (empty.due_today, empty.in_queue, empty.streak, empty.next_due) == (0, 0, 0, None)
    _mock_with_misses(session, user, misses=3)
    same_day = study.summary(session, user.id, now=T0 + timedelta(hours=1))
    assert (same_day.due_today, same_day.in_queue, same_day.streak) == (0, 3, 1)
    assert same_day.reviewed_today
    assert same_day.next_due == T0 + timedelta(days=1, minutes=10)
    # The next morning: all three due, the streak still alive before today's review.
    morning = T0 + timedelta(days=1, hours=-8)
    tomorrow = study.summary(session, user.id, now=morning)
    assert (tomorrow.due_today, tomorrow.streak, tomorrow.reviewed_today) == (3, 1, False)
    review, _ = study.start_review(session, user.id, now=morning)
    for item in review.items:
        answer(session, user, review, item.position, correct=True, at=morning)
    after = study.summary(session, user.id, now=morning + timedelta(minutes=1))
    assert (after.due_today, after.streak, after.open_review_id) == (0, 2, review.id)
    # Two days without a review break it.
    assert study.summary(session, user.id, now=morning + timedelta(days=2)).streak == 0


def test_mastery_history_has_a_point_per_mock_and_drill(session, bank, user) -> None:
    empty = study.mastery_history(session, user.id)
    assert empty.points == ()
    assert len(empty.subdomains) == 13
    mock = attempts.start_attempt(session, user.id, "quiz-20", now=T0)
    for item in mock.items:
        answer(session, user, mock, item.position, correct=False, at=T0)
    submit(session, user, mock, T0 + timedelta(minutes=30))
    drill = study.start_weak_area_drill(session, user.id, now=T0 + timedelta(hours=1), seed=9)
    for item in drill.items:
        answer(session, user, drill, item.position, correct=True, at=T0 + timedelta(hours=1))
    submit(session, user, drill, T0 + timedelta(hours=2))
    study.start_review(session, user.id, now=T0 + timedelta(days=1, hours=1))  # not a point
    history = study.mastery_history(session, user.id)
    assert [(p.attempt_id, p.kind) for p in history.points] == [
        (mock.id, "mock"),
        (drill.id, "drill"),
    ]
    code = drill.items[0].version.subdomain
    assert history.points[1].means[code] > history.points[0].means[code]
    assert history.standing.total == 35
    data = history.to_dict()
    assert data["points"][0]["finished_at"].endswith("Z")
    assert [p.attempt_id for p in study.mastery_history(session, user.id, last=1).points] == [
        drill.id
    ]
    with pytest.raises(ValidationFailed, match="last"):
        study.mastery_history(session, user.id, last=0)


def test_a_long_streak_reads_past_the_first_fortnight(session, bank, user) -> None:
    mock = _mock_with_misses(session, user, misses=1)
    study.record_outcomes(session, user.id, now=T0 + timedelta(hours=1))
    card = session.scalar(select(ReviewCard))
    for back in range(1, 30):
        at = T0 - timedelta(days=back)
        session.add(ReviewLog(card_id=card.id, rating=3, reviewed_at=at, attempt_id=mock.id))
    session.commit()
    assert study.summary(session, user.id, now=T0 + timedelta(hours=2)).streak == 30
    assert study.study_streak(session, user.id, now=T0 + timedelta(days=1)) == (30, False)
    assert study.study_streak(session, user.id, now=T0 + timedelta(days=2)) == (0, False)
