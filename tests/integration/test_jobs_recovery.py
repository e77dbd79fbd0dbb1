"""Jobs Redis lost are queued again by the sweep, and then run by a worker.

Redis as in test_jobs_worker.py (``TEST_REDIS_URL``); the loss is made by deleting the
test's own keys, as a Redis restarted without persistence would have lost them.
"""

from __future__ import annotations

from datetime import timedelta

import redis
from sqlalchemy import select, update

from exam_engine.models import Job, utcnow
from exam_engine.services import jobs
from exam_engine.services.jobs import names, queue, recovery
from tests.support import make_queued_app, scoped_to_test, worker_burst


def _age(session, job_ids: list[int], minutes: int) -> None:
    """Make the rows look enqueued ``minutes`` ago."""
    session.execute(
        update(Job)
        .where(Job.id.in_(job_ids))
        .values(created_at=utcnow() - timedelta(minutes=minutes))
    )
    session.commit()


def _forget_everything(url: str, prefix: str) -> None:
    """Delete every key of this test's queue, as a Redis that lost its data."""
    client = redis.Redis.from_url(url)
    try:
        # RQ's keys carry the prefix in the queue's name and (":" made "-") in job ids.
        mark = prefix.rstrip(":").encode()
        names_ = [key for key in client.scan_iter("rq:*") if mark in key]
        if names_:
            client.delete(*names_)
    finally:
        client.close()


def test_the_sweep_queues_again_what_redis_lost_and_a_worker_runs_it(
    tmp_path, database_url, redis_prefix, session, request
) -> None:
    url, prefix = redis_prefix
    app = scoped_to_test(
        request, make_queued_app(database_url, str(tmp_path / "app"), redis_prefix)
    )
    with app.app_context():
        config = queue.settings()
        lost_old = jobs.enqueue(session, names.RECOMPUTE)
        lost_young = jobs.enqueue(session, names.RECOMPUTE)
        assert lost_old is not None and lost_young is not None
        assert queue.held(config, lost_old) and queue.held(config, lost_young)
        _forget_everything(url, prefix)
        # Enqueued after the loss: Redis holds it.
        kept_old = jobs.enqueue(session, names.RECOMPUTE)
        assert kept_old is not None
        assert not queue.held(config, lost_old)
        _age(session, [lost_old, kept_old], minutes=10)
        # Only the old row Redis lost goes back: the young one may still be on its way, and
        # the other is held.
        assert recovery.requeue_lost(session) == 1
        assert queue.held(config, lost_old)
        assert not queue.held(config, lost_young)
        assert recovery.requeue_lost(session) == 0
        # Ten minutes on, the young one is old enough too.
        _age(session, [lost_young], minutes=10)
        assert recovery.requeue_lost(session) == 1
    worker_burst(database_url, str(tmp_path / "worker"), redis_prefix)
    session.expire_all()
    rows = session.scalars(select(Job).where(Job.id.in_([lost_old, lost_young, kept_old]))).all()
    assert [(row.status, row.attempts) for row in rows] == [("done", 1)] * 3


def test_without_redis_nothing_is_requeued(session) -> None:
    # The test app has no Redis: a job runs where it is enqueued, so none can be lost.
    assert recovery.requeue_lost(session) == 0


def test_the_sweep_reports_what_it_requeued(session) -> None:
    job_id = jobs.enqueue(session, names.SWEEP)
    assert job_id is not None
    result = jobs.job_view(session, job_id).result
    assert result == {"finalized": 0, "abandoned_jobs": 0, "requeued_jobs": 0}


def test_an_abandoned_attempt_with_attempts_left_is_queued_again_and_run(
    tmp_path, database_url, redis_prefix, session, request
) -> None:
    app = scoped_to_test(
        request, make_queued_app(database_url, str(tmp_path / "app"), redis_prefix)
    )
    long_ago = utcnow() - timedelta(hours=2)

    def running(attempts: int, started) -> Job:
        return Job(
            name=names.RECOMPUTE,
            arguments={},
            status="running",
            max_attempts=3,
            attempts=attempts,
            started_at=started,
        )

    retried, last, fresh = running(1, long_ago), running(3, long_ago), running(1, utcnow())
    session.add_all([retried, last, fresh])
    session.commit()
    with app.app_context():
        assert recovery.end_abandoned(session) == 2
        config = queue.settings()
        assert queue.held(config, retried.id)
        assert not queue.held(config, last.id)
        # A second sweep finds nothing left to end.
        assert recovery.end_abandoned(session) == 0
    session.expire_all()
    assert (retried.status, retried.error) == ("queued", f"{recovery.ABANDONED}; retrying")
    assert (last.status, last.error) == ("failed", f"{recovery.ABANDONED}; start it again")
    assert fresh.status == "running"
    worker_burst(database_url, str(tmp_path / "worker"), redis_prefix)
    session.expire_all()
    assert (retried.status, retried.attempts) == ("done", 2)
