"""Jobs without Redis: run in-process to their end, retried then failed (waiting within a
budget), each slot claimed once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from exam_engine.config import DEFAULTS
from exam_engine.domain.vocabulary import JobStatus
from exam_engine.models import Job, utcnow
from exam_engine.services import accounts, jobs, login_sessions, request_id
from exam_engine.services.errors import ValidationFailed
from exam_engine.services.jobs import names, runner
from exam_engine.services.jobs.queue import JobSettings
from exam_engine.services.jobs.registry import job
from exam_engine.services.jobs.schedule import Scheduler, due_slots

RUNS: list[str] = []


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list[float]:
    """The in-process retry waits, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(runner, "sleep", recorded.append)
    return recorded


@job("test.fails-then-works", label="Test job")
def _fails_then_works(session, progress, failures: int, tag: str):
    RUNS.append(tag)
    progress(40)
    if RUNS.count(tag) <= failures:
        raise ValidationFailed(f"planned failure {RUNS.count(tag)}")
    return {"runs": RUNS.count(tag)}


def test_a_job_runs_in_process_to_done_with_its_result(session) -> None:
    job_id = jobs.enqueue(session, "test.fails-then-works", failures=0, tag="ok")
    view = jobs.job_view(session, job_id)
    assert (view.status, view.progress, view.result, view.attempts) == ("done", 100, {"runs": 1}, 1)
    assert view.summary == "done"


def test_a_failing_job_is_retried_then_shown_failed_with_its_reason(session) -> None:
    job_id = jobs.enqueue(session, "test.fails-then-works", failures=99, tag="bad")
    view = jobs.job_view(session, job_id)
    # Default settings: two retries, so three runs in all, then failed with the last reason.
    assert RUNS.count("bad") == 3
    assert (view.status, view.attempts, view.max_attempts) == ("failed", 3, 3)
    assert view.summary == "failed: planned failure 3"
    assert view.finished_at is not None


def test_in_process_retries_wait_their_delays_within_the_sessions_budget(
    session, waits, monkeypatch
) -> None:
    # The defaults, [10, 60]: the first wait is cut to the 2 s budget, the second runs at once.
    jobs.enqueue(session, "test.fails-then-works", failures=99, tag="waits-default")
    assert waits == [runner.IN_PROCESS_WAIT_BUDGET]
    # A later failing job in the same session (the same request) waits no more.
    jobs.enqueue(session, "test.fails-then-works", failures=99, tag="waits-spent")
    assert waits == [runner.IN_PROCESS_WAIT_BUDGET]
    assert RUNS.count("waits-spent") == 3


def test_in_process_short_delays_are_waited_in_full_and_zero_not_at_all(
    session, waits, monkeypatch
) -> None:
    monkeypatch.setattr(runner, "settings", lambda: _settings(JOB_RETRY_DELAYS=[0, 1]))
    job_id = jobs.enqueue(session, "test.fails-then-works", failures=2, tag="waits-short")
    # After the first failure no wait (0 s), after the second the full second.
    assert waits == [1.0]
    view = jobs.job_view(session, job_id)
    assert (view.status, view.attempts) == ("done", 3)


def test_a_job_done_at_once_waits_nothing(session, waits) -> None:
    jobs.enqueue(session, "test.fails-then-works", failures=0, tag="no-wait")
    assert waits == []


def test_a_job_that_fails_once_succeeds_on_its_retry(session) -> None:
    job_id = jobs.enqueue(session, "test.fails-then-works", failures=1, tag="once")
    view = jobs.job_view(session, job_id)
    assert (view.status, view.attempts, view.error) == ("done", 2, "")


def test_a_real_job_with_bad_arguments_fails_with_the_services_reason(session) -> None:
    job_id = jobs.enqueue(session, names.CALIBRATE, model="3pl")
    view = jobs.job_view(session, job_id)
    assert view.status == JobStatus.FAILED
    assert "3pl" in view.error


def test_an_unknown_job_name_is_refused_before_anything_is_stored(session) -> None:
    try:
        jobs.enqueue(session, "no.such-job")
    except ValueError as error:
        assert "no.such-job" in str(error)
    else:
        raise AssertionError("an unknown job was accepted")
    assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_job_runs_once_however_often_it_is_delivered(session) -> None:
    from exam_engine.services.jobs.runner import run_attempt

    job_id = jobs.enqueue(session, "test.fails-then-works", failures=0, tag="twice")
    assert run_attempt(session, job_id) is None  # already done: not run again
    assert RUNS.count("twice") == 1


def test_the_job_carries_the_request_id_into_its_row_and_log(session) -> None:
    seen: list[tuple[str, int | None, str]] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append((record.request_id, record.job_id, record.getMessage()))  # type: ignore[attr-defined]

    handler = Grab()
    handler.addFilter(request_id.RequestIdFilter())
    logger = logging.getLogger("exam_engine.services.jobs.runner")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    tokens = request_id.bind("req-abc123")
    try:
        job_id = jobs.enqueue(session, "test.fails-then-works", failures=0, tag="rid")
    finally:
        request_id.unbind(tokens)
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert session.get(Job, job_id).request_id == "req-abc123"
    started = [entry for entry in seen if "started" in entry[2]]
    assert started and all(entry[:2] == ("req-abc123", job_id) for entry in started)


def _settings(**changes) -> JobSettings:
    return JobSettings.from_config({**DEFAULTS, **changes})


def test_due_slots_every_minute_and_overnight_from_the_set_time() -> None:
    config = _settings(STALE_STATS_AT="03:00")
    early = due_slots(config, datetime(2026, 12, 6, 2, 59, 30, tzinfo=UTC))
    assert early == [(names.SWEEP, "sweep@2026-12-06T02:59:00")]
    late = due_slots(config, datetime(2026, 12, 6, 3, 0, 1, tzinfo=UTC))
    assert late == [
        (names.SWEEP, "sweep@2026-12-06T03:00:00"),
        (names.RECOMPUTE_IF_STALE, "stale-stats@2026-12-06"),
        (names.PRUNE, "prune@2026-12-06"),
    ]


def test_two_schedulers_ticking_claim_each_slot_once(session) -> None:
    config = _settings()
    first, second = Scheduler(config), Scheduler(config)
    moments = [
        datetime(2026, 12, 6, 4, minute, second_, tzinfo=UTC)
        for minute in (1, 2)
        for second_ in (5, 40)
    ]
    made = []
    for moment in moments:
        made += first.tick(session, moment)
        made += second.tick(session, moment)
    slots = session.scalars(select(Job.slot).order_by(Job.slot)).all()
    assert slots == sorted(
        [
            "prune@2026-12-06",
            "stale-stats@2026-12-06",
            "sweep@2026-12-06T04:01:00",
            "sweep@2026-12-06T04:02:00",
        ]
    )
    assert len(made) == len(slots)
    # Each ran once (in-process), to done.
    assert set(session.scalars(select(Job.status))) == {JobStatus.DONE}
    assert set(session.scalars(select(Job.attempts))) == {1}


def test_a_claimed_slot_is_not_enqueued_again(session) -> None:
    assert jobs.enqueue(session, names.SWEEP, slot="sweep@x") is not None
    assert jobs.enqueue(session, names.SWEEP, slot="sweep@x") is None
    assert session.scalar(select(func.count()).select_from(Job)) == 1


def test_bad_job_settings_name_the_setting() -> None:
    for key, value, word in [
        ("JOB_RETRY_DELAYS", "ten", "EXAM_ENGINE_JOB_RETRY_DELAYS"),
        ("STALE_STATS_AT", "3am", "EXAM_ENGINE_STALE_STATS_AT"),
        ("SWEEP_EVERY_SECONDS", 0, "EXAM_ENGINE_SWEEP_EVERY_SECONDS"),
    ]:
        try:
            _settings(**{key: value})
        except ValueError as error:
            assert word in str(error)
        else:
            raise AssertionError(f"{key}={value!r} accepted")


def test_the_nightly_prune_also_deletes_ended_sign_ins(session) -> None:
    user = accounts.create_user(session, "night@example.com", "long-enough-pw")
    kept = login_sessions.start_session(session, user.id)
    login_sessions.start_session(session, user.id, now=utcnow() - timedelta(days=2))
    job_id = jobs.enqueue(session, names.PRUNE)
    view = jobs.job_view(session, job_id)
    assert view.status == "done"
    assert view.result["sessions_removed"] == 1
    assert login_sessions.load_user(session, kept).id == user.id


def _mail_job(session, to: str):
    return jobs.job_view(
        session, jobs.enqueue(session, names.SEND_MAIL, to=to, subject="S", body="B")
    )


def test_a_mail_refused_for_good_fails_at_once_and_one_refused_for_now_is_retried(
    app, session, waits, inbox
) -> None:
    with app.app_context():  # the mail settings
        gone = _mail_job(session, "x@rejects.example")
        waited = list(waits)
        busy = _mail_job(session, "y@busy.example")
        done = _mail_job(session, "z@example.com")
    assert waited == []  # refused for good: no retry, so no wait for one
    assert (gone.status, gone.attempts) == ("failed", 1)
    assert gone.error.startswith("mail to x@rejects.example not sent: ")
    assert "550" in gone.error
    assert (busy.status, busy.attempts) == ("failed", busy.max_attempts)
    assert busy.max_attempts > 1 and "451" in busy.error
    assert waits  # refused for now: retried after a wait
    assert done.status == "done" and [m.to for m in inbox.messages] == ["z@example.com"]
