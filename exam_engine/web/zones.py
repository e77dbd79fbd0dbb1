"""The signed-in user's time zone: every page shows moments in it, forms read times in it.

Moments are stored and sent by the API in UTC; only pages convert, through the ``when`` and
``day`` filters. A user with no zone yet (the browser has not told it) sees UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any

from flask import Flask
from flask_login import current_user

from exam_engine.domain.moments import iso_utc, zone_named
from exam_engine.web import formatting


def user_zone() -> tzinfo:
    """The signed-in user's zone; UTC for visitors and users whose browser has not told it."""
    if not current_user.is_authenticated:
        return UTC
    return zone_named(current_user.time_zone)


def zone_label() -> str:
    """The user's zone as its IANA name, for form labels: ``Europe/Paris``."""
    if current_user.is_authenticated and current_user.time_zone:
        return str(current_user.time_zone)
    return "UTC"


def _when(moment: datetime | None) -> str:
    return formatting.when(moment, user_zone())


def _day(moment: date | datetime | None) -> str:
    return "" if moment is None else formatting.day(moment, user_zone())


def _iso(moment: date | datetime) -> str:
    return iso_utc(moment) if isinstance(moment, datetime) else moment.isoformat()


def _now_in_zone() -> str:
    from exam_engine.web.clock import now

    return _when(now())


def register(app: Flask) -> None:
    """Add the zone-aware filters (``when``, ``day``, ``iso``) and two globals."""
    filters: dict[str, Any] = {"when": _when, "day": _day, "iso": _iso}
    app.jinja_env.filters.update(filters)
    app.jinja_env.globals["zone_label"] = zone_label
    app.jinja_env.globals["now_in_zone"] = _now_in_zone
