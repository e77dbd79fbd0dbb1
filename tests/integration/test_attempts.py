"""Attempt service: assembly into stored attempts, saves, deadlines, submit, sweep."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from exam_engine.models import Attempt, AttemptItem, QuestionVersion, Response, utcnow
from exam_engine.services import attempts, practice
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import UserFactory
from tests.support import add_template, seed_bank

GRACE = 30


@pytest.fixture
def user(session):
    return UserFactory()


def start(session, user, template="quiz-20", **kwargs):
    kwargs.setdefault("now", utcnow())
    return attempts.start_attempt(session, user.id, template, **kwargs)


def save(session, user, attempt, position, choice, *, seq, now=None, flagged=False):
    return attempts.save_response(
        session,
        user.id,
        attempt.id,
        position,
        choice=choice,
        flagged=flagged,
        seq=seq,
        now=now or utcnow(),
        grace_seconds=GRACE,
    )


def test_full_mock_hits_the_blueprint_and_stores_option_orders(session, bank, user) -> None:
    attempt = start(session, user, "aaism-full", seed=7)
    versions = {v.id: v for v in session.scalars(select(QuestionVersion))}
    domains = Counter(versions[i.question_version_id].domain for i in attempt.items)
    assert len(attempt.items) == 90
    assert domains == {"D1": 28, "D2": 28, "D3": 34}
    assert len({i.question_id for i in attempt.items}) == 90
    assert len({versions[i.question_version_id].subdomain for i in attempt.items}) == 13
    assert [i.position for i in attempt.items] == list(range(1, 91))
    assert all(sorted(i.option_order) == [0, 1, 2, 3] for i in attempt.items)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=180)


def test_same_seed_same_form(session, bank) -> None:
    first = start(session, UserFactory(), seed=42)
    second = start(session, UserFactory(), seed=42)
    assert [(i.question_version_id, i.option_order) for i in first.items] == [
        (i.question_version_id, i.option_order) for i in second.items
    ]


def test_time_multiplier_extends_the_deadline(session, bank) -> None:
    user = UserFactory(time_multiplier=1.5)
    attempt = start(session, user, "aaism-exam-pace")
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=225)


def test_practice_is_untimed(session, bank, user) -> None:
    attempt = start(session, user, "drill-d2")
    assert attempt.mode == "practice"
    assert attempt.deadline_at is None
    assert attempts.remaining_seconds(attempt, utcnow()) is None


def test_a_second_mock_avoids_items_already_seen(session, bank, user) -> None:
    first = start(session, user)
    second = start(session, user)
    assert not {i.question_id for i in first.items} & {i.question_id for i in second.items}


def test_unknown_template_names_the_known_ones(session, bank, user) -> None:
    with pytest.raises(NotFound, match="known: aaism-exam-pace, aaism-full"):
        start(session, user, "nope")


def test_a_bank_too_small_is_a_clear_conflict(session, user) -> None:
    seed_bank(session, per_subdomain=1)
    with pytest.raises(Conflict, match="needs .* eligible items, has 1"):
        start(session, user, "aaism-full")
    assert session.scalar(select(Attempt)) is None


def test_save_maps_per_attempt_ids_to_stored_options(session, bank, user) -> None:
    attempt = start(session, user)
    item = attempt.items[0]
    result = save(session, user, attempt, 1, "C", seq=1)
    assert result.accepted
    assert result.choice == "C"
    session.refresh(item)
    assert item.choice == item.option_order[2]


def test_same_seq_twice_changes_nothing(session, bank, user) -> None:
    attempt = start(session, user)
    save(session, user, attempt, 1, "A", seq=5)
    again = save(session, user, attempt, 1, "B", seq=5)
    assert not again.accepted
    assert again.choice == "A"
    assert session.query(Response).count() == 1


def test_older_seq_never_overwrites_newer(session, bank, user) -> None:
    attempt = start(session, user)
    save(session, user, attempt, 1, "B", seq=9)
    late = save(session, user, attempt, 1, "A", seq=3)
    assert not late.accepted
    assert late.choice == "B"
    # Every accepted save is kept in the log, but only the newest counts.
    assert session.query(Response).count() == 2


def test_bad_choice_and_seq_are_refused(session, bank, user) -> None:
    attempt = start(session, user)
    with pytest.raises(ValidationFailed, match="'E' is not one of"):
        save(session, user, attempt, 1, "E", seq=1)
    with pytest.raises(ValidationFailed, match="seq"):
        save(session, user, attempt, 1, "A", seq=0)
    with pytest.raises(NotFound, match="no position 21"):
        save(session, user, attempt, 21, "A", seq=1)
    assert session.query(Response).count() == 0


def test_another_users_attempt_is_not_found(session, bank, user) -> None:
    attempt = start(session, user)
    other = UserFactory()
    with pytest.raises(NotFound):
        save(session, other, attempt, 1, "A", seq=1)
    with pytest.raises(NotFound):
        attempts.submit_attempt(session, other.id, attempt.id, now=utcnow(), grace_seconds=GRACE)


def test_save_racing_the_deadline(session, bank, user) -> None:
    started = utcnow()
    attempt = start(session, user, now=started)
    limit = attempt.deadline_at + timedelta(seconds=GRACE)
    assert save(session, user, attempt, 1, "A", seq=1, now=limit).accepted
    with pytest.raises(attempts.DeadlinePassed, match="answers saved before it are graded"):
        save(session, user, attempt, 2, "A", seq=2, now=limit + timedelta(microseconds=1))
    session.refresh(attempt)
    assert attempt.status == "expired"
    assert attempt.submitted_at == attempt.deadline_at
    assert attempt.result["answered"] == 1
    with pytest.raises(attempts.AttemptFinished):
        save(session, user, attempt, 3, "A", seq=3, now=limit)


def test_submit_twice_returns_the_same_result(session, bank, user) -> None:
    attempt = start(session, user)
    key_choice = attempts.stored_to_choice(attempt.items[0], attempt.items[0].version.answer_index)
    save(session, user, attempt, 1, key_choice, seq=1)
    first = attempts.submit_attempt(session, user.id, attempt.id, now=utcnow(), grace_seconds=GRACE)
    result, submitted_at = dict(first.result), first.submitted_at
    second = attempts.submit_attempt(
        session, user.id, attempt.id, now=utcnow() + timedelta(minutes=5), grace_seconds=GRACE
    )
    assert second.status == "submitted"
    assert second.result == result
    assert second.submitted_at == submitted_at
    assert result["score"]["correct"] == 1
    assert result["score"]["total"] == 20


def test_sweep_finalizes_each_expired_attempt_once(session, bank) -> None:
    past = utcnow() - timedelta(hours=2)
    stale = start(session, UserFactory(), now=past)
    fresh = start(session, UserFactory())
    done = attempts.sweep_expired(session, now=utcnow(), grace_seconds=GRACE)
    assert done == [stale.id]
    assert attempts.sweep_expired(session, now=utcnow(), grace_seconds=GRACE) == []
    session.refresh(stale)
    session.refresh(fresh)
    assert stale.status == "expired"
    assert fresh.status == "in_progress"


def test_touch_finalizes_an_expired_attempt(session, bank, user) -> None:
    attempt = start(session, user, now=utcnow() - timedelta(hours=1))
    attempts.touch(session, attempt, utcnow(), GRACE)
    assert attempt.status == "expired"
    assert attempt.result is not None


def test_grading_uses_the_version_shown(session, bank, user) -> None:
    attempt = start(session, user)
    item = attempt.items[0]
    shown = item.version
    key_choice = attempts.stored_to_choice(item, shown.answer_index)
    save(session, user, attempt, 1, key_choice, seq=1)
    # An instructor publishes version 2 with another key; the attempt keeps version 1.
    shown.status = "retired"
    session.add(
        QuestionVersion(
            question_id=shown.question_id,
            number=2,
            status="published",
            domain=shown.domain,
            subdomain=shown.subdomain,
            difficulty=shown.difficulty,
            stem=shown.stem + " (edited)",
            options=list(shown.options),
            rationales=list(shown.rationales),
            answer_index=(shown.answer_index + 1) % 4,
            references=list(shown.references),
            enemies=[],
            content_hash="v2",
        )
    )
    session.commit()
    done = attempts.submit_attempt(session, user.id, attempt.id, now=utcnow(), grace_seconds=GRACE)
    assert done.result["score"]["correct"] == 1


def test_practice_answer_changes_until_checked_then_locks(session, bank, user) -> None:
    attempt = start(session, user, "drill-d1")
    save(session, user, attempt, 1, "A", seq=1)
    assert save(session, user, attempt, 1, "B", seq=2).choice == "B"
    feedback = practice.check_answer(
        session, user.id, attempt.id, 1, now=utcnow(), grace_seconds=GRACE
    )
    item = attempt.items[0]
    assert feedback["key"] == attempts.stored_to_choice(item, item.version.answer_index)
    with pytest.raises(Conflict, match="locked"):
        save(session, user, attempt, 1, "C", seq=3)
    assert save(session, user, attempt, 1, "B", seq=4, flagged=True).flagged
    session.expire_all()
    assert session.get(AttemptItem, item.id).checked_at is not None


def test_checking_is_for_practice_and_needs_an_answer(session, bank, user) -> None:
    drill = start(session, user, "drill-d1")
    with pytest.raises(Conflict, match="no answer to check"):
        practice.check_answer(session, user.id, drill.id, 1, now=utcnow(), grace_seconds=GRACE)
    mock = start(session, user)
    save(session, user, mock, 1, "A", seq=1)
    with pytest.raises(Conflict, match="only in practice"):
        practice.check_answer(session, user.id, mock.id, 1, now=utcnow(), grace_seconds=GRACE)
    with pytest.raises(NotFound):
        practice.check_answer(
            session, UserFactory().id, drill.id, 1, now=utcnow(), grace_seconds=GRACE
        )


def test_short_template_expiry_grades_saved_answers(session, bank, user) -> None:
    add_template(session, "tiny", item_count=4, minutes=1)
    started = utcnow() - timedelta(minutes=5)
    attempt = start(session, user, "tiny", now=started)
    save(session, user, attempt, 1, "A", seq=1, now=started + timedelta(seconds=20))
    assert attempts.sweep_expired(session, now=utcnow(), grace_seconds=GRACE) == [attempt.id]
    session.refresh(attempt)
    assert attempt.status == "expired"
    assert attempt.result["answered"] == 1
    items = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    assert sum(i.choice is not None for i in items) == 1


def test_practice_templates_start_drills_not_mocks(session, bank, user) -> None:
    drill = start(session, user, "drill-d1")
    assert drill.kind == "drill"
    # A drill does not count as seen for later mocks.
    assert attempts.seen_counts(session, user.id) == {}
    assert start(session, user).kind == "mock"


def test_exposure_cap_keeps_overused_items_out(session, user) -> None:
    # 13 items at 31/31/38 take two from D2-A each time; four there allow two forms.
    seed_bank(session, per_subdomain=4)
    capped = add_template(session, "capped", item_count=13, minutes=30)
    capped.exposure_cap = 1
    session.commit()
    first = start(session, user, "capped")
    second = start(session, UserFactory(), "capped")
    assert not {i.question_id for i in first.items} & {i.question_id for i in second.items}
    # D2-A's four items have now been used once each: a third form cannot be assembled.
    with pytest.raises(Conflict, match="D2-A needs 2 eligible items, has 0"):
        start(session, UserFactory(), "capped")
    usage = attempts.usage_counts(session, capped.id)
    assert len(usage) == 26
    assert set(usage.values()) == {1}
