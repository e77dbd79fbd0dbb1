"""``flask worker``: run queued jobs (RQ on Redis) and the schedule; without Redis, only the
schedule, each due job running in this process."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from rq import SimpleWorker

from exam_engine.models import utcnow
from exam_engine.services.jobs.queue import connection, rq_queue, settings
from exam_engine.services.jobs.runner import SESSIONS
from exam_engine.services.jobs.schedule import Scheduler

log = logging.getLogger(__name__)


def _tick_forever(app: Flask, db: Any, stop: threading.Event) -> None:
    with app.app_context():
        scheduler = Scheduler(settings())
        while not stop.is_set():
            try:
                scheduler.tick(db.session(), utcnow())
            except Exception:
                # A database or Redis outage must not end the schedule: try again next tick.
                log.exception(
                    "schedule tick failed; trying again in %s s", scheduler.config.tick_seconds
                )
            finally:
                db.session.remove()
            stop.wait(scheduler.config.tick_seconds)


def run_worker(
    app: Flask,
    db: Any,
    *,
    burst: bool,
    schedule: bool,
    echo: Callable[[str], Any] = print,
) -> None:
    """Work until SIGTERM or SIGINT (or, with ``burst``, until the queue is empty).

    ``db`` is the app's Flask-SQLAlchemy extension (its scoped session serves the jobs).
    """
    config = settings()
    SESSIONS.append(db.session)
    stop = threading.Event()
    if config.redis_url is None:
        echo(
            "no EXAM_ENGINE_REDIS_URL: jobs run where they are enqueued; "
            "this worker runs the schedule"
        )
        if not schedule:
            return
        if burst:
            Scheduler(config).tick(db.session(), utcnow())
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        # The schedule in the main thread: jobs run here, one at a time.
        _tick_forever(app, db, stop)
        return
    scheduler: threading.Thread | None = None
    if schedule:
        scheduler = threading.Thread(target=_tick_forever, args=(app, db, stop), daemon=True)
        scheduler.start()
    queue = rq_queue(config)
    echo(f"worker on queue {config.queue_name} at {config.redis_url.rsplit('@', 1)[-1]}")
    # SimpleWorker runs each job in this process (no fork per job): the app, its database
    # pool and the bank index stay warm, and no fork happens beside the schedule's thread.
    worker = SimpleWorker([queue], connection=connection(config.redis_url))
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        stop.set()
        if scheduler is not None:
            scheduler.join(timeout=10)
