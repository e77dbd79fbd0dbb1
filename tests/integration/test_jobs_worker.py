"""Jobs on Redis with real `flask worker` processes: run, retried then failed, the request id
in the worker's log, and two workers never running one scheduled slot twice.

Redis: ``TEST_REDIS_URL`` (default 127.0.0.1:6379/15); locally the tests skip, saying why,
when it is unreachable; under CI they fail instead (the redis_prefix fixture).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select

from exam_engine.models import Job
from exam_engine.services import jobs, request_id
from exam_engine.services.jobs import names
from exam_engine.web import sign_in
from tests.support import make_queued_app

# Bounded waits: long enough for a loaded shared machine; the assertions are on end states.
WAIT_SECONDS = 120


@pytest.fixture
def worker_env(tmp_path, database_url, redis_prefix, app):
    url, prefix = redis_prefix
    env = dict(
        os.environ,
        FLASK_APP="exam_engine:create_app",
        DATABASE_URL=database_url,
        SECRET_KEY="worker-test",
        EXAM_ENGINE_INSTANCE_PATH=str(tmp_path),
        EXAM_ENGINE_REDIS_URL=url,
        EXAM_ENGINE_REDIS_KEY_PREFIX=prefix,
        EXAM_ENGINE_JOB_RETRY_DELAYS="[0, 1]",
        EXAM_ENGINE_LOG_FORMAT="json",
    )
    return env


@pytest.fixture
def start_worker(worker_env, tmp_path):
    started: list[tuple[subprocess.Popen, object]] = []

    def start(**extra: str) -> int:
        log = (tmp_path / f"worker-{len(started)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "worker"],
            env={**worker_env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return len(started) - 1

    yield start
    for process, log in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()  # type: ignore[attr-defined]


def _log_lines(tmp_path, index: int) -> list[dict]:
    lines = []
    for line in (tmp_path / f"worker-{index}.log").read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _enqueuing_app(tmp_path, database_url, redis_prefix):
    return make_queued_app(
        database_url, str(tmp_path / "app"), redis_prefix, JOB_RETRY_DELAYS=[0, 1]
    )


def _dispose(app) -> None:
    """Close the app's pooled connections now (a garbage-collected one warns, failing a test)."""
    from exam_engine.extensions import db

    with app.app_context():
        db.engine.dispose()


def _wait_for(session, predicate) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        session.expire_all()
        if predicate():
            return
        session.rollback()
        time.sleep(0.25)


def test_a_worker_runs_queued_jobs_and_retries_a_failing_one_then_fails_it(
    tmp_path, session, database_url, redis_prefix, start_worker, request
) -> None:
    app = _enqueuing_app(tmp_path, database_url, redis_prefix)
    request.addfinalizer(lambda: sign_in.init_app(request.getfixturevalue("app")))
    request.addfinalizer(lambda: _dispose(app))
    with app.app_context():
        tokens = request_id.bind("req-worker-1")
        try:
            good = jobs.enqueue(session, names.SWEEP)
            bad = jobs.enqueue(session, names.CALIBRATE, model="3pl")
        finally:
            request_id.unbind(tokens)
        # Nothing ran here: the rows wait for a worker.
        assert {row.status for row in session.scalars(select(Job))} == {"queued"}
        health = jobs.queue_health(jobs.queue.settings())
        assert health is not None and health["queue"] == "ok" and health["queued"] == 2
    index = start_worker(EXAM_ENGINE_SWEEP_EVERY_SECONDS="3600")

    def finished() -> bool:
        return all(session.get(Job, i).status in ("done", "failed") for i in (good, bad))

    _wait_for(session, finished)
    done, failed = session.get(Job, good), session.get(Job, bad)
    assert (done.status, done.result, done.attempts) == (
        "done",
        {"finalized": 0, "abandoned_jobs": 0, "requeued_jobs": 0},
        1,
    )
    assert (failed.status, failed.attempts, failed.max_attempts) == ("failed", 3, 3)
    assert "3pl" in failed.error
    # The worker's JSON log lines of both jobs carry the request that enqueued them.
    lines = _log_lines(tmp_path, index)
    # (The worker's own schedule may have run more jobs: the overnight slots, once past 03:00.)
    started = [
        line
        for line in lines
        if "started, attempt" in line["message"] and line["job_id"] in (good, bad)
    ]
    assert Counter(line["job_id"] for line in started) == {good: 1, bad: 3}
    assert {line["request_id"] for line in started} == {"req-worker-1"}


def test_two_workers_never_run_one_scheduled_slot_twice(tmp_path, session, start_worker) -> None:
    fast = {"EXAM_ENGINE_SWEEP_EVERY_SECONDS": "1", "EXAM_ENGINE_SCHEDULE_TICK_SECONDS": "0.1"}
    first, second = start_worker(**fast), start_worker(**fast)

    def enough() -> bool:
        rows = session.scalars(select(Job).where(Job.name == names.SWEEP)).all()
        return sum(row.status == "done" for row in rows) >= 5

    _wait_for(session, enough)
    rows = session.scalars(select(Job).where(Job.name == names.SWEEP)).all()
    assert sum(row.status == "done" for row in rows) >= 5
    # One row per slot (the unique key), and each row's job started exactly once across both.
    assert len({row.slot for row in rows}) == len(rows)
    started = Counter(
        line["job_id"]
        for index in (first, second)
        for line in _log_lines(tmp_path, index)
        if "started, attempt" in line["message"]
    )
    done_ids = {row.id for row in rows if row.status == "done"}
    assert all(started[job_id] == 1 for job_id in done_ids)
    assert max(started.values()) == 1
