"""gunicorn settings, read by ``gunicorn wsgi:app`` when it starts in the repository root."""

from __future__ import annotations

from typing import Any

# Import the app once, in the master: a worker that dies (or is recycled) is replaced by a
# fork that serves at once, instead of importing the app again while its share of requests
# queues (seconds on a loaded machine). The master opens no database connection
# (create_app never connects), so none can be shared across the fork.
preload_app = True


def post_fork(server: Any, worker: Any) -> None:
    """Give each worker fresh database pools, even if the master ever opened a connection."""
    from exam_engine.extensions import db
    from wsgi import app

    with app.app_context():
        for engine in db.engines.values():
            # close=False: the master's sockets are left alone for the master to close.
            engine.dispose(close=False)
