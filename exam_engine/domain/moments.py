"""How moments are written where they are not shown by a page: messages, CSV and JSON.

Pages format dates with the web layer's Jinja filters, which call these same functions.
"""

from __future__ import annotations

from datetime import UTC, datetime


def minute(moment: datetime) -> str:
    """A moment to the minute, as people read it: ``2026-12-04 09:30``."""
    return moment.strftime("%Y-%m-%d %H:%M")


def iso_utc(moment: datetime, *, whole_seconds: bool = False) -> str:
    """A moment as ISO 8601 in UTC with a Z: ``2026-12-04T09:30:00Z`` (naive means UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if whole_seconds:
        moment = moment.replace(microsecond=0)
    return moment.isoformat() + "Z"
