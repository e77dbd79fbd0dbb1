"""How moments are written where they are not shown by a page: messages, CSV and JSON.

Pages format dates with the web layer's Jinja filters, which call these same functions.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


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


def zone_named(name: str | None) -> tzinfo:
    """The zone an IANA name stands for; UTC for None or a name this machine does not know."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def is_zone_name(name: str) -> bool:
    """Tell whether ``name`` is an IANA zone this machine knows (``Europe/Paris``, ``UTC``)."""
    return name in zone_names()


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (the account page's choices)."""
    return tuple(sorted(available_timezones()))


class NoSuchLocalTime(ValueError):
    """A wall-clock time that a zone skips (the hour clocks jump over in spring)."""


def local_to_utc(value: datetime, zone: tzinfo) -> datetime:
    """Read a naive wall-clock time in ``zone`` as the UTC moment it names.

    A time the zone repeats (autumn) is taken at its first occurrence; one the zone skips
    (spring) raises NoSuchLocalTime rather than silently moving by an hour.
    """
    aware = value.replace(tzinfo=zone, fold=0)
    moment = aware.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != value:
        raise NoSuchLocalTime(f"{value:%Y-%m-%d %H:%M} does not exist in {zone}")
    return moment


def utc_to_local(moment: datetime, zone: tzinfo) -> datetime:
    """A stored UTC moment as naive wall-clock time in ``zone`` (to prefill a form)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).replace(tzinfo=None)
