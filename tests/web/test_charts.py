"""SVG chart builders: well-formed, accessible, escaped markup that plots what it is given."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exam_engine.web.charts import Bar, Series, interval_bars, trend_lines

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """Parse chart markup as XML (fails on anything unescaped or unbalanced)."""
    return ET.fromstring(markup)


def by_id(root: ET.Element, element_id: str) -> ET.Element:
    matches = [el for el in root.iter() if el.get("id") == element_id]
    assert len(matches) == 1, f"expected one element with id {element_id!r}"
    return matches[0]


def texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]


def accessible(root: ET.Element) -> tuple[str, str]:
    """Check the accessible-image contract and return (title, desc) text."""
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = by_id(root, root.get("aria-labelledby", ""))
    desc = by_id(root, root.get("aria-describedby", ""))
    assert title.tag == f"{SVG}title"
    assert desc.tag == f"{SVG}desc"
    # The title and description come first, so assistive tech finds them before the drawing.
    assert list(root)[:2] == [title, desc]
    assert "style" not in {key for el in root.iter() for key in el.attrib}
    return title.text or "", desc.text or ""


DOMAINS = [
    Bar("D1 AI Governance", 64.3, 46.3, 79.0, "18 of 28 correct"),
    Bar("D2 AI Risk", 50.0, 32.6, 67.4),
    Bar("D3 AI Technologies", 100.0, 89.8, 100.0),
]


def test_interval_bars_is_an_accessible_image_describing_every_bar() -> None:
    root = parse(interval_bars(DOMAINS, chart_id="dc", title="By domain", summary="Overall 60%."))
    title, desc = accessible(root)
    assert root.get("aria-labelledby") == "dc-title"
    assert root.get("aria-describedby") == "dc-desc"
    assert title == "By domain"
    assert desc.startswith("Overall 60%. D1 AI Governance: 64%, 18 of 28 correct")
    assert "(95% interval 46% to 79%)" in desc
    assert "D3 AI Technologies: 100% (95% interval 90% to 100%)." in desc
    assert "Target" not in desc
    assert "D2 AI Risk" in texts(root)


def test_interval_bars_lengths_are_proportional_to_the_percent() -> None:
    root = parse(interval_bars(DOMAINS, chart_id="dc", title="t", width=400))
    bars = [el for el in root.iter(f"{SVG}rect") if el.get("class") == "chart-bar"]
    tracks = [
        el for el in root.iter(f"{SVG}rect") if el.get("class") is None and el.get("rx") == "3"
    ]
    assert len(bars) == 3
    assert len(tracks) == 3
    full = float(tracks[0].get("width", "0"))
    widths = [float(b.get("width", "0")) for b in bars]
    assert widths == pytest.approx([0.643 * full, 0.5 * full, full], abs=0.01)


def test_interval_whiskers_span_the_interval() -> None:
    root = parse(interval_bars([Bar("A", 50, 25, 75)], chart_id="w", title="t", width=400))
    track = next(el for el in root.iter(f"{SVG}rect") if el.get("rx") == "3")
    x0, full = float(track.get("x", "0")), float(track.get("width", "0"))
    path = next(el for el in root.iter(f"{SVG}path") if el.get("class") == "chart-interval")
    start, end = re.match(r"M([\d.]+) [\d.]+H([\d.]+)", path.get("d", "")).groups()  # type: ignore[union-attr]
    assert float(start) == pytest.approx(x0 + 0.25 * full, abs=0.01)
    assert float(end) == pytest.approx(x0 + 0.75 * full, abs=0.01)


def test_a_zero_score_draws_no_bar_but_keeps_the_track() -> None:
    root = parse(interval_bars([Bar("A", 0, 0, 30.9)], chart_id="z", title="t"))
    assert not [el for el in root.iter(f"{SVG}rect") if el.get("class") == "chart-bar"]
    assert "A: 0% (95% interval 0% to 31%)." in accessible(root)[1]


def test_target_marks_one_dashed_line_per_bar_and_is_described() -> None:
    root = parse(interval_bars(DOMAINS, chart_id="dc", title="t", target=65, width=400))
    marks = [el for el in root.iter(f"{SVG}line") if el.get("class") == "chart-target"]
    track = next(el for el in root.iter(f"{SVG}rect") if el.get("rx") == "3")
    expected = float(track.get("x", "0")) + 0.65 * float(track.get("width", "0"))
    assert len(marks) == len(DOMAINS)
    assert all(float(m.get("x1", "0")) == pytest.approx(expected, abs=0.01) for m in marks)
    assert "Target 65%" in texts(root)
    assert accessible(root)[1].endswith("Target: 65%.")


def test_text_is_escaped_everywhere() -> None:
    nasty = "<script>alert(\"x\")</script> & 'quotes'"
    markup = interval_bars(
        [Bar(nasty, 10, 5, 20, note=nasty)], chart_id="e", title=nasty, summary=nasty
    )
    assert "<script>" not in markup
    root = parse(markup)
    title, desc = accessible(root)
    assert title == nasty
    assert desc.startswith(nasty)
    lines = trend_lines([Series(nasty, (10.0,))], [nasty], chart_id="e2", title=nasty)
    assert "<script>" not in lines
    assert accessible(parse(lines))[0] == nasty


def test_long_labels_are_shortened_in_the_picture_but_whole_in_the_description() -> None:
    label = "D9-Z " + "Very long sub-domain title " * 5
    root = parse(interval_bars([Bar(label, 40, 20, 60)], chart_id="l", title="t", width=300))
    shown = [t for t in texts(root) if t.startswith("D9-Z")]
    assert shown
    assert shown[0].endswith("…")
    assert len(shown[0]) < len(label)
    assert label in accessible(root)[1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bars": []}, "at least one bar"),
        ({"bars": [Bar("A", 101, 90, 101)]}, "percent in"),
        ({"bars": [Bar("A", -1, -1, 5)]}, "percent in"),
        ({"bars": [Bar("A", math.nan, 0, 10)]}, "percent in"),
        ({"bars": [Bar("A", 50, 60, 70)]}, "low <= value <= high"),
        ({"bars": [Bar("A", 50, 40, 45)]}, "low <= value <= high"),
        ({"chart_id": "1bad"}, "chart_id"),
        ({"chart_id": 'x" onload="alert(1)'}, "chart_id"),
        ({"css_class": 'x" onload="y'}, "css_class"),
        ({"target": 120.0}, "target"),
        ({"width": 100}, "width"),
    ],
)
def test_interval_bars_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"bars": DOMAINS, "chart_id": "ok", "title": "t"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        interval_bars(**args)  # type: ignore[arg-type]


LABELS = ["1 Jan", "8 Jan", "15 Jan", "22 Jan"]


def test_trend_lines_draws_one_series_group_per_line_with_a_legend() -> None:
    series = [
        Series("D1", (50.0, 60.0, 70.0, 80.0)),
        Series("D2", (40.0, 45.0, 55.0, 60.0)),
        Series("Overall", (45.0, 52.0, 61.0, 70.0)),
    ]
    root = parse(trend_lines(series, LABELS, chart_id="tr", title="Trend", target=65))
    title, desc = accessible(root)
    assert title == "Trend"
    assert "D1: 1 Jan 50%, 8 Jan 60%, 15 Jan 70%, 22 Jan 80%." in desc
    assert desc.endswith("Target: 65%.")
    groups = [el for el in root.iter(f"{SVG}g") if el.get("class") == "chart-series"]
    assert len(groups) == 3
    assert all(len(list(g.iter(f"{SVG}polyline"))) == 1 for g in groups)
    legend = [el for el in root.iter(f"{SVG}g") if el.get("class") == "chart-legend"]
    assert ["".join(g.itertext()) for g in legend] == ["D1", "D2", "Overall", "Target 65%"]
    # Series differ by dash pattern as well as colour, so colour is never the only cue.
    dashes = [next(g.iter(f"{SVG}polyline")).get("stroke-dasharray") for g in groups]
    colours = [next(g.iter(f"{SVG}polyline")).get("stroke") for g in groups]
    assert len(set(dashes)) == 3
    assert len(set(colours)) == 3


def test_trend_points_sit_at_their_percent_and_x_position() -> None:
    root = parse(trend_lines([Series("D1", (0.0, 100.0))], ["a", "b"], chart_id="p", title="t"))
    line = next(root.iter(f"{SVG}polyline"))
    (x0, y0), (x1, y1) = [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
    assert x0 < x1
    assert y0 > y1  # left to right, 0% at the bottom, 100% at the top
    grid = {
        "".join(t.itertext()): float(t.get("y", "0")) - 4
        for t in root.iter(f"{SVG}text")
        if "".join(t.itertext()) in ("0%", "100%")
    }
    assert y0 == pytest.approx(grid["0%"], abs=0.01)
    assert y1 == pytest.approx(grid["100%"], abs=0.01)


def test_missing_values_break_the_line_and_are_left_out_of_the_description() -> None:
    series = [Series("D1", (50.0, None, 70.0, 80.0))]
    root = parse(trend_lines(series, LABELS, chart_id="g", title="t"))
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 1
    assert len(lines[0].get("points", "").split()) == 2
    markers = [el for el in root.iter() if el.tag == f"{SVG}circle"]
    assert len(markers) == 1 + 3  # one in the legend, three data points
    assert "D1: 1 Jan 50%, 15 Jan 70%, 22 Jan 80%." in accessible(root)[1]


def test_a_single_mock_is_a_centred_point_without_a_line() -> None:
    root = parse(trend_lines([Series("D1", (55.0,))], ["1 Jan"], chart_id="s", title="t"))
    assert not list(root.iter(f"{SVG}polyline"))
    group = next(el for el in root.iter(f"{SVG}g") if el.get("class") == "chart-series")
    point = next(group.iter(f"{SVG}circle"))
    width = float(root.get("width", "0"))
    assert float(point.get("cx", "0")) == pytest.approx((48 + width - 20) / 2)


def test_many_x_positions_get_thinned_labels_but_always_the_last() -> None:
    labels = [f"m{i}" for i in range(1, 41)]
    root = parse(trend_lines([Series("D1", (50.0,) * 40)], labels, chart_id="m", title="t"))
    shown = [t for t in texts(root) if t.startswith("m")]
    assert 2 <= len(shown) <= 9
    assert shown[0] == "m1"
    assert shown[-1] == "m40"


def test_narrow_charts_wrap_the_legend_and_carry_the_extra_class() -> None:
    series = [Series(name, (50.0, 60.0)) for name in ("D1", "D2", "D3", "Overall")]
    markup = trend_lines(
        series,
        ["a", "b"],
        chart_id="n",
        title="t",
        target=65,
        width=320,
        height=260,
        css_class="chart-narrow",
    )
    root = parse(markup)
    assert root.get("class") == "chart chart-trend chart-narrow"
    rows = {
        next(g.iter(f"{SVG}line")).get("y1")
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "chart-legend"
    }
    assert len(rows) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"series": []}, "at least one series"),
        ({"x_labels": []}, "at least one x position"),
        ({"series": [Series("D1", (1.0, 2.0))]}, "has 2 values for 4 x labels"),
        ({"series": [Series(str(i), (1.0,) * 4) for i in range(6)]}, "at most 5 series"),
        ({"series": [Series("D1", (1.0, 2.0, 300.0, 4.0))]}, "percent in"),
        ({"target": -5.0}, "target"),
        ({"chart_id": ""}, "chart_id"),
        ({"width": 200}, "too small"),
        (
            {"height": 170, "width": 240, "series": [Series(str(i), (1.0,) * 4) for i in range(5)]},
            "legend",
        ),
    ],
)
def test_trend_lines_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "series": [Series("D1", (1.0, 2.0, 3.0, 4.0))],
        "x_labels": LABELS,
        "chart_id": "ok",
        "title": "t",
        "target": 65.0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        trend_lines(**args)  # type: ignore[arg-type]


percents = st.floats(min_value=0, max_value=100, allow_nan=False)


@st.composite
def bars(draw: st.DrawFn) -> Bar:
    values = sorted(draw(st.tuples(percents, percents, percents)))
    label = draw(st.text(min_size=1, max_size=60).filter(lambda s: s.isprintable()))
    return Bar(label, values[1], values[0], values[2])


@given(st.lists(bars(), min_size=1, max_size=8), st.one_of(st.none(), percents))
def test_any_valid_bars_give_well_formed_accessible_svg(
    chosen: list[Bar], target: float | None
) -> None:
    root = parse(interval_bars(chosen, chart_id="h", title="t", target=target))
    _title, desc = accessible(root)
    rows = [el for el in root.iter(f"{SVG}g") if el.get("class") == "chart-row"]
    assert len(rows) == len(chosen)
    for bar in chosen:
        assert f"{bar.label}: {bar.value:.0f}%" in desc
    view = [float(v) for v in root.get("viewBox", "").split()]
    for el in root.iter(f"{SVG}rect"):
        assert 0 <= float(el.get("x", "0")) <= view[2]
        assert float(el.get("x", "0")) + float(el.get("width", "0")) <= view[2] + 1e-6


@given(
    st.lists(
        st.lists(st.one_of(st.none(), percents), min_size=3, max_size=3), min_size=1, max_size=5
    )
)
def test_any_valid_series_give_well_formed_svg(values: list[list[float | None]]) -> None:
    series = [Series(f"S{i}", tuple(v)) for i, v in enumerate(values)]
    root = parse(trend_lines(series, ["a", "b", "c"], chart_id="h", title="t"))
    accessible(root)
    groups = [el for el in root.iter(f"{SVG}g") if el.get("class") == "chart-series"]
    assert len(groups) == len(series)
    for group, line in zip(groups, series, strict=True):
        markers = [el for el in group if el.tag != f"{SVG}title" and el.tag != f"{SVG}polyline"]
        assert len(markers) == sum(v is not None for v in line.values)
