"""The server's clock, replaceable in tests through ``app.config["CLOCK"]``."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from exam_engine.models import utcnow


def now() -> datetime:
    """Return the current UTC time as the app sees it."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock is not None else utcnow()


def grace_seconds() -> int:
    """Seconds after the deadline during which saves are still accepted."""
    return int(current_app.config["GRACE_SECONDS"])
