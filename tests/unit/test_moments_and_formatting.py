"""One format for each kind of number and moment: pages, CLI, CSV and JSON agree."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from markupsafe import Markup

from exam_engine.domain.moments import (
    NoSuchLocalTime,
    is_zone_name,
    iso_utc,
    local_to_utc,
    minute,
    utc_to_local,
    zone_named,
)
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
    assert formatting.when(moment) == "4 Dec 2026, 09:30 UTC"
    assert formatting.when(None) == ""
    assert formatting.when(datetime(2026, 12, 4, 9, 30)) == "4 Dec 2026, 09:30 UTC"  # naive: UTC
    assert formatting.day(date(2026, 12, 4)) == "4 Dec 2026"


def test_moments_show_in_the_users_zone_with_its_summer_or_winter_name() -> None:
    paris, new_york = zone_named("Europe/Paris"), zone_named("America/New_York")
    winter = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    summer = datetime(2026, 7, 4, 9, 30, tzinfo=UTC)
    assert formatting.when(winter, paris) == "4 Dec 2026, 10:30 CET"
    assert formatting.when(summer, paris) == "4 Jul 2026, 11:30 CEST"
    assert formatting.when(winter, new_york) == "4 Dec 2026, 04:30 EST"
    late = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    assert formatting.when(late, zone_named("Asia/Tokyo")) == "5 Dec 2026, 08:30 JST"
    # The date too is the zone's: 02:00 UTC is still the evening before in New York.
    assert formatting.day(datetime(2026, 12, 5, 2, 0, tzinfo=UTC), new_york) == "4 Dec 2026"
    assert formatting.day(date(2026, 12, 5), new_york) == "5 Dec 2026"  # a date has no zone


def test_zone_names_are_checked_and_unknown_ones_fall_back_to_utc() -> None:
    assert is_zone_name("Europe/Paris") and is_zone_name("UTC")
    for bad in ("Europe/Atlantis", "", "../etc/passwd", "europe/paris "):
        assert not is_zone_name(bad)
    assert zone_named(None) is UTC
    assert zone_named("Europe/Atlantis") is UTC
    assert zone_named("../../etc/passwd") is UTC


def test_a_window_typed_across_a_dst_change_is_stored_in_utc_correctly() -> None:
    paris = zone_named("Europe/Paris")
    # Opens on Saturday before clocks go forward (UTC+1), closes on Monday after (UTC+2).
    opens = local_to_utc(datetime(2026, 3, 28, 9, 0), paris)
    closes = local_to_utc(datetime(2026, 3, 30, 9, 0), paris)
    assert opens == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert closes == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert closes - opens == timedelta(hours=47)  # two wall-clock days, one hour lost
    assert utc_to_local(closes, paris) == datetime(2026, 3, 30, 9, 0)
    # And back in autumn: the hour repeats; a repeated time is taken at its first occurrence.
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), paris) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    assert local_to_utc(datetime(2026, 10, 25, 9, 0), paris) == datetime(
        2026, 10, 25, 8, 0, tzinfo=UTC
    )


def test_a_time_the_clocks_skip_is_refused_not_shifted() -> None:
    paris = zone_named("Europe/Paris")
    with pytest.raises(NoSuchLocalTime, match="2026-03-29 02:30 does not exist"):
        local_to_utc(datetime(2026, 3, 29, 2, 30), paris)
    assert local_to_utc(datetime(2026, 3, 29, 3, 0), paris) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )


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
