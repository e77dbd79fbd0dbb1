"""How numbers and moments read on pages and in the CLI: one place for each format.

Percentages come in two kinds: a percent already (a score of 72.5) and a share (a facility
of 0.725); both round the same way and never print ``-0%``. Undefined values (None) show as
a dash, which pages mark as undefined.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from markupsafe import Markup

from exam_engine.domain.plurals import counted

DASH = "–"
_UNDEFINED = Markup('<span class="muted" title="undefined">–</span>')


def percent(value: float | None, digits: int = 0, *, missing: str = DASH) -> str:
    """A percent value as text: ``72%`` (``digits`` decimals); None is ``missing``."""
    if value is None:
        return missing
    # Adding 0.0 turns a rounded -0.0 into 0.0, so nothing prints as "-0%".
    return f"{round(value, digits) + 0.0:.{digits}f}%"


def share(value: float | None, digits: int = 1, *, missing: str = DASH) -> str:
    """A share (0-1) as a percent: ``72.5%``; None is ``missing``."""
    return missing if value is None else percent(100 * value, digits)


def decimal(value: float | None, digits: int = 2, *, missing: str = DASH) -> str:
    """A plain number with ``digits`` decimals; None is ``missing``."""
    return missing if value is None else f"{round(value, digits) + 0.0:.{digits}f}"


def chance(probability: float | None, *, missing: str = DASH) -> str:
    """A probability as a rounded percent that never claims certainty: ``Under 1%`` below
    1%, ``Over 99%`` above 99%, else ``37%`` (so never ``0%`` or ``100%``); None is ``missing``."""
    if probability is None:
        return missing
    if probability < 0.01:
        return "Under 1%"
    if probability > 0.99:
        return "Over 99%"
    return percent(100 * probability)


def _aware(moment: datetime) -> datetime:
    # Stored moments are UTC; SQLite hands them back naive.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def day(moment: date | datetime, zone: tzinfo = UTC) -> str:
    """A date, the one way pages write it: ``4 Dec 2026`` (a moment's date in ``zone``)."""
    if isinstance(moment, datetime):
        moment = _aware(moment).astimezone(zone)
    return f"{moment.day} {moment:%b %Y}"


def when(moment: datetime | None, zone: tzinfo = UTC) -> str:
    """A moment, the one way pages write it: ``4 Dec 2026, 09:30 CET`` in ``zone``."""
    if moment is None:
        return ""
    local = _aware(moment).astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M %Z}"


def _html(formatter: object) -> object:
    """A Jinja filter that shows None as a dash marked undefined."""

    def apply(value: float | None, *args: int) -> str | Markup:
        if value is None:
            return _UNDEFINED
        return formatter(value, *args)  # type: ignore[operator, no-any-return]

    return apply


FILTERS: dict[str, object] = {
    "pct": _html(percent),
    "share": _html(share),
    "dec": _html(decimal),
    "chance": _html(chance),
    "counted": counted,
    # Moments in the signed-in user's zone: web/zones.py adds "when" and "day".
}
