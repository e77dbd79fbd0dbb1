"""One format for each kind of number and moment: pages, CLI, CSV and JSON agree."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from markupsafe import Markup

from exam_engine.domain.moments import iso_utc, minute
from exam_engine.web import formatting


def test_moments_are_utc_with_a_z() -> None:
    aware = datetime(2026, 12, 4, 9, 30, 5, 250000, tzinfo=UTC)
    assert iso_utc(aware) == "2026-12-04T09:30:05.250000Z"
    assert iso_utc(aware, whole_seconds=True) == "2026-12-04T09:30:05Z"
    plus_one = aware.astimezone(timezone(timedelta(hours=1)))
    assert iso_utc(plus_one) == iso_utc(aware)
    assert iso_utc(datetime(2026, 12, 4, 9, 30)) == "2026-12-04T09:30:00Z"
    assert minute(aware) == "2026-12-04 09:30"


def test_percent_and_share_round_alike_and_never_print_minus_zero() -> None:
    assert formatting.percent(72.5) == "72%"  # banker's rounding of .5, as Python rounds
    assert formatting.percent(72.46, 1) == "72.5%"
    assert formatting.percent(-0.04) == "0%"
    assert formatting.share(0.725, 1) == "72.5%"
    assert formatting.share(-0.0001) == "0.0%"
    assert formatting.decimal(0.123) == "0.12"
    assert formatting.percent(None) == formatting.DASH
    assert formatting.share(None, missing="-") == "-"


def test_page_filters_mark_undefined_values_and_format_dates() -> None:
    undefined = formatting.FILTERS["pct"](None)  # type: ignore[operator]
    assert isinstance(undefined, Markup)
    assert 'title="undefined"' in undefined
    assert formatting.FILTERS["share"](0.5, 0) == "50%"  # type: ignore[operator]
    moment = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    assert formatting.utc_minute(moment) == "2026-12-04 09:30 UTC"
    assert formatting.utc_minute(None) == ""
    assert formatting.day(date(2026, 12, 4)) == "2026-12-04"
    assert formatting.long_moment(moment) == "04 Dec 2026, 09:30"


def test_a_chance_never_reads_as_certain() -> None:
    assert formatting.chance(0.0) == "Under 1%"
    assert formatting.chance(0.0099) == "Under 1%"
    assert formatting.chance(0.01) == "1%"
    assert formatting.chance(0.37) == "37%"
    assert formatting.chance(0.99) == "99%"
    assert formatting.chance(0.9901) == "Over 99%"
    assert formatting.chance(None) == formatting.DASH
    assert formatting.FILTERS["chance"](0.5) == "50%"
    assert isinstance(formatting.FILTERS["chance"](None), Markup)


def test_a_count_takes_its_noun_in_the_right_number() -> None:
    assert formatting.counted(0, "error") == "0 errors"
    assert formatting.counted(1, "warning") == "1 warning"
    assert formatting.counted(2, "attempt") == "2 attempts"
