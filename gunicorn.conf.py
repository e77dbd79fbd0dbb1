"""gunicorn settings, read by ``gunicorn wsgi:app`` when it starts in the repository root."""

from __future__ import annotations

from typing import Any

# Import the app once, in the master: a worker that dies (or is recycled) is replaced by a
# fork that serves at once, instead of importing the app again while its share of requests
# queues (seconds on a loaded machine). The master opens no database connection
# (create_app never connects), so none can be shared across the fork.
preload_app = True
# Several workers need one place to count failed sign-ins: EXAM_ENGINE_REDIS_URL. Without it
# each worker counts apart, and when_ready below logs a warning saying so.


def post_fork(server: Any, worker: Any) -> None:
    """Give each worker fresh database pools, even if the master ever opened a connection."""
    from exam_engine.extensions import db
    from wsgi import app

    with app.app_context():
        for engine in db.engines.values():
            # close=False: the master's sockets are left alone for the master to close.
            engine.dispose(close=False)


def when_ready(server: Any) -> None:
    """Warn when several workers would each count failed sign-ins in their own memory.

    Production sets ``EXAM_ENGINE_REDIS_URL`` (README, "Production"): sessions and sign-in
    counters then live in Redis, one count for every worker and host.
    """
    from exam_engine.web.sign_in import warn_if_counting_apart

    warn_if_counting_apart(server.cfg.workers, server.log)


def child_exit(server: Any, worker: Any) -> None:
    """In Prometheus multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` set), retire a dead
    worker's live gauges; its counters and histograms stay counted."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
