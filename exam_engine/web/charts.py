"""Server-rendered SVG charts: the web layer draws what the services return as data.

Every chart is an ``<svg role="img">`` named by its ``<title>`` (``aria-labelledby``) and
described by a ``<desc>`` (``aria-describedby``) that spells out every plotted value, so a
screen reader gets the data without the picture. All text is escaped. Colours are set with
presentation attributes (no ``style`` attribute, which a strict CSP would block), and every
series is told apart by marker shape and dash pattern as well as colour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from exam_engine.web.formatting import percent

if TYPE_CHECKING:  # only for annotations: the services never import this module
    from exam_engine.domain.blueprint import Blueprint
    from exam_engine.domain.cohort_stats import CohortScorecard
    from exam_engine.services.scorecards import History, Scorecard

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
TEXT = "#1c2330"
MUTED = "#556070"
GRID = "#d5dae1"
TRACK = "#e7ebf0"
BAR = "#0b5cad"
TARGET = "#8a5a00"
# Okabe-Ito-derived hues darkened for >= 3:1 contrast on white; shapes and dashes repeat them.
PALETTE = ("#0b5cad", "#b34700", "#1d7a3a", "#7b3f98", "#1c2330")
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("", "7 4", "2 3", "9 3 2 3")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_CLASSES = re.compile(r"^[A-Za-z0-9_ -]{0,200}$")


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: a percent (0-100) and its interval, with a short note."""

    label: str
    value: float
    low: float
    high: float
    note: str = ""


@dataclass(frozen=True)
class Series:
    """One line of a trend chart: a percent per x position, None where there is no value."""

    label: str
    values: tuple[float | None, ...]


def _num(value: float) -> str:
    """Format a coordinate compactly (at most two decimals, no trailing zeros)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _pct(value: float) -> str:
    """Format a percent for reading: whole numbers."""
    return percent(value)


def _text(value: str) -> str:
    """Escape text for an SVG text node or attribute."""
    return escape(value, quote=True)


def _check_id(chart_id: str, css_class: str = "") -> None:
    """Reject an id or class list that could not be used safely inside attributes."""
    if not _ID.match(chart_id):
        raise ValueError(f"chart_id must be a letter then letters, digits, - or _: {chart_id!r}")
    if not _CLASSES.match(css_class):
        raise ValueError(f"css_class must be letters, digits, -, _ and spaces: {css_class!r}")


def _check_percent(name: str, value: float) -> None:
    """Reject NaN and values outside 0-100."""
    if math.isnan(value) or not 0.0 <= value <= 100.0:
        raise ValueError(f"{name} must be a percent in [0, 100], got {value!r}")


def _fit(label: str, max_chars: int) -> str:
    """Shorten a label to ``max_chars`` characters with an ellipsis."""
    return label if len(label) <= max_chars else label[: max(1, max_chars - 1)].rstrip() + "…"


def _open(chart_id: str, width: int, height: int, title: str, desc: str, css: str) -> list[str]:
    """Return the opening tags: svg with its accessible name and description."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" '
        f'font-family="{_text(FONT)}" font-size="14" fill="{TEXT}">',
        f'<title id="{chart_id}-title">{_text(title)}</title>',
        f'<desc id="{chart_id}-desc">{_text(desc)}</desc>',
    ]


def interval_bars(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    summary: str = "",
    target: float | None = None,
    interval_name: str = "95% interval",
    width: int = 400,
    css_class: str = "",
) -> str:
    """Return horizontal percent bars (0-100) with interval whiskers and an optional target line.

    The description lists every bar's value and interval after ``summary``.
    """
    _check_id(chart_id, css_class)
    if not bars:
        raise ValueError("interval_bars needs at least one bar")
    if width < 280:
        raise ValueError(f"width must be at least 280, got {width}")
    for bar in bars:
        for name, value in (("value", bar.value), ("low", bar.low), ("high", bar.high)):
            _check_percent(f"{bar.label!r} {name}", value)
        if not bar.low <= bar.value <= bar.high:
            raise ValueError(f"{bar.label!r}: need low <= value <= high")
    if target is not None:
        _check_percent("target", target)

    # Each row: the label on its own line, then the bar with its value to the right of it.
    pad, top, row, bar_h, value_w = 8, 44, 58, 18, 118
    left, right = pad, width - pad - value_w
    height = top + row * len(bars) + 28

    def x(percent: float) -> float:
        return left + (right - left) * percent / 100.0

    described = [
        f"{b.label}: {_pct(b.value)}"
        + (f", {b.note}" if b.note else "")
        + f" ({interval_name} {_pct(b.low)} to {_pct(b.high)})."
        for b in bars
    ]
    if target is not None:
        described.append(f"Target: {_pct(target)}.")
    desc = " ".join(([summary] if summary else []) + described)
    out = _open(chart_id, width, height, title, desc, f"chart-bars {css_class}".strip())

    bottom = top + row * len(bars) - 6
    for tick in (0, 25, 50, 75, 100):
        tx = _num(x(tick))
        out.append(
            f'<line class="chart-grid" x1="{tx}" y1="{top - 4}" x2="{tx}" y2="{bottom}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        anchor = "start" if tick == 0 else "end" if tick == 100 else "middle"
        out.append(
            f'<text x="{tx}" y="{bottom + 18}" text-anchor="{anchor}" font-size="12" '
            f'fill="{MUTED}">{tick}%</text>'
        )

    label_chars = max(8, int((width - 2 * pad) / 7.8))
    for index, bar in enumerate(bars):
        y0 = top + row * index
        bar_y = y0 + 12
        mid = bar_y + bar_h / 2
        interval_text = f"{bar.low:.0f}–{_pct(bar.high)}"
        out.append(f'<g class="chart-row"><title>{_text(described[index])}</title>')
        out.append(
            f'<text x="{left}" y="{y0 + 4}" font-weight="600">'
            f"{_text(_fit(bar.label, label_chars))}</text>"
        )
        out.append(
            f'<text x="{width - pad}" y="{_num(mid + 5)}" text-anchor="end" font-size="14">'
            f'<tspan font-weight="700">{_pct(bar.value)}</tspan>'
            f'<tspan fill="{MUTED}" font-size="12"> {_text(interval_text)}</tspan></text>'
        )
        out.append(
            f'<rect x="{left}" y="{bar_y}" width="{_num(right - left)}" height="{bar_h}" '
            f'rx="3" fill="{TRACK}"/>'
        )
        if bar.value > 0:
            out.append(
                f'<rect class="chart-bar" x="{left}" y="{bar_y}" '
                f'width="{_num(x(bar.value) - left)}" height="{bar_h}" rx="3" fill="{BAR}"/>'
            )
        lo, hi = _num(x(bar.low)), _num(x(bar.high))
        ym, ya, yb = _num(mid), _num(mid - 7), _num(mid + 7)
        # A white halo under the dark whisker keeps it visible over the bar and the track.
        for colour, stroke in (("#ffffff", 5), (TEXT, 2)):
            out.append(
                f'<path class="chart-interval" d="M{lo} {ym}H{hi}M{lo} {ya}V{yb}M{hi} {ya}V{yb}" '
                f'stroke="{colour}" stroke-width="{stroke}" fill="none" stroke-linecap="round"/>'
            )
        out.append("</g>")

    if target is not None:
        tx = _num(x(target))
        anchor = "end" if target > 85 else "start" if target < 15 else "middle"
        out.append(
            f'<text x="{tx}" y="{top - 24}" text-anchor="{anchor}" font-size="12" '
            f'font-weight="600" fill="{TARGET}">Target {_pct(target)}</text>'
        )
        # One dashed mark per bar, so the line never runs through the row labels.
        for index in range(len(bars)):
            bar_y = top + row * index + 12
            out.append(
                f'<line class="chart-target" x1="{tx}" y1="{bar_y - 5}" x2="{tx}" '
                f'y2="{bar_y + bar_h + 5}" stroke="{TARGET}" stroke-width="2.5" '
                f'stroke-dasharray="4 3"/>'
            )
    out.append("</svg>")
    return "".join(out)


def _marker(shape: str, cx: float, cy: float, colour: str) -> str:
    """Return one data-point marker of the given shape."""
    if shape == "circle":
        return f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="4.5" fill="{colour}"/>'
    if shape == "square":
        return f'<rect x="{_num(cx - 4)}" y="{_num(cy - 4)}" width="8" height="8" fill="{colour}"/>'
    if shape == "triangle":
        corners = [(cx, cy - 5.5), (cx + 5, cy + 4), (cx - 5, cy + 4)]
    else:
        corners = [(cx, cy - 5.5), (cx + 5.5, cy), (cx, cy + 5.5), (cx - 5.5, cy)]
    points = " ".join(f"{_num(px)},{_num(py)}" for px, py in corners)
    return f'<polygon points="{points}" fill="{colour}"/>'


def _label_positions(count: int, most: int) -> list[int]:
    """Return which x positions get a label: every k-th, always the last."""
    step = max(1, math.ceil(count / most))
    chosen = list(range(0, count, step))
    if chosen[-1] != count - 1:
        # Drop the label before the last one when it would crowd it.
        if count - 1 - chosen[-1] < step / 2 and len(chosen) > 1:
            chosen.pop()
        chosen.append(count - 1)
    return chosen


def trend_lines(
    series: Sequence[Series],
    x_labels: Sequence[str],
    *,
    chart_id: str,
    title: str,
    summary: str = "",
    target: float | None = None,
    width: int = 640,
    height: int = 300,
    css_class: str = "",
) -> str:
    """Return a percent (0-100) line chart over ordered x positions, with a legend.

    ``None`` values leave a gap. The description lists each series' values in x order.
    """
    _check_id(chart_id, css_class)
    if not series:
        raise ValueError("trend_lines needs at least one series")
    if not x_labels:
        raise ValueError("trend_lines needs at least one x position")
    if len(series) > len(PALETTE):
        raise ValueError(f"trend_lines draws at most {len(PALETTE)} series, got {len(series)}")
    if width < 240 or height < 160:
        raise ValueError(f"chart too small: {width} x {height} (need at least 240 x 160)")
    for line in series:
        if len(line.values) != len(x_labels):
            raise ValueError(
                f"series {line.label!r} has {len(line.values)} values for {len(x_labels)} x labels"
            )
        for value in line.values:
            if value is not None:
                _check_percent(f"series {line.label!r} value", value)
    if target is not None:
        _check_percent("target", target)

    described = []
    for line in series:
        points = [
            f"{label} {_pct(v)}"
            for label, v in zip(x_labels, line.values, strict=True)
            if v is not None
        ]
        described.append(f"{line.label}: " + (", ".join(points) if points else "no data") + ".")
    if target is not None:
        described.append(f"Target: {_pct(target)}.")
    desc = " ".join(([summary] if summary else []) + described)
    out = _open(chart_id, width, height, title, desc, f"chart-trend {css_class}".strip())

    # Legend entries (series, then the target), wrapped into rows across the top.
    entries: list[tuple[str, str, str, str | None]] = [
        (_fit(line.label, 18), PALETTE[i], DASHES[i % len(DASHES)], MARKERS[i % len(MARKERS)])
        for i, line in enumerate(series)
    ]
    if target is not None:
        entries.append((f"Target {_pct(target)}", TARGET, "6 4", None))
    legend: list[tuple[float, int, tuple[str, str, str, str | None]]] = []
    legend_x, legend_row = 48.0, 0
    for entry in entries:
        span = 32 + 7.6 * len(entry[0]) + 18
        if legend_x + span > width and legend_x > 48.0:
            legend_x, legend_row = 48.0, legend_row + 1
        legend.append((legend_x, legend_row, entry))
        legend_x += span

    left, right = 48, width - 20
    top, bottom = 44 + 22 * legend_row, height - 40
    if bottom - top < 80:
        raise ValueError(f"chart too small for its legend: height {height}")
    count = len(x_labels)

    def x(index: int) -> float:
        if count == 1:
            return (left + right) / 2
        return left + (right - left) * index / (count - 1)

    def y(percent: float) -> float:
        return bottom - (bottom - top) * percent / 100.0

    for lx, lrow, (label, colour, dash, shape) in legend:
        ly = 16 + 22 * lrow
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append('<g class="chart-legend">')
        out.append(
            f'<line x1="{_num(lx)}" y1="{ly}" x2="{_num(lx + 26)}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
        )
        if shape is not None:
            out.append(_marker(shape, lx + 13, ly, colour))
        out.append(f'<text x="{_num(lx + 32)}" y="{ly + 5}" font-size="13">{_text(label)}</text>')
        out.append("</g>")

    for tick in (0, 25, 50, 75, 100):
        ty = _num(y(tick))
        out.append(
            f'<line class="chart-grid" x1="{left}" y1="{ty}" x2="{right}" y2="{ty}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 8}" y="{_num(y(tick) + 4)}" text-anchor="end" font-size="12" '
            f'fill="{MUTED}">{tick}%</text>'
        )
    for index in _label_positions(count, max(1, (right - left) // 70)):
        anchor = "middle"
        if count > 1 and index == 0:
            anchor = "start"
        elif count > 1 and index == count - 1:
            anchor = "end"
        out.append(
            f'<text x="{_num(x(index))}" y="{bottom + 22}" text-anchor="{anchor}" '
            f'font-size="12" fill="{MUTED}">{_text(_fit(x_labels[index], 12))}</text>'
        )

    if target is not None:
        ty = _num(y(target))
        out.append(
            f'<line class="chart-target" x1="{left}" y1="{ty}" x2="{right}" y2="{ty}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4"/>'
        )

    for index, line in enumerate(series):
        colour, dash = PALETTE[index], DASHES[index % len(DASHES)]
        shape = MARKERS[index % len(MARKERS)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="chart-series"><title>{_text(described[index])}</title>')
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(line.values):
            if value is None:
                runs.append([])
            else:
                runs[-1].append((x(i), y(value)))
        for run in runs:
            if len(run) > 1:
                coords = " ".join(f"{_num(px)},{_num(py)}" for px, py in run)
                out.append(
                    f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-linejoin="round"{dash_attr}/>'
                )
        for run in runs:
            for px, py in run:
                out.append(_marker(shape, px, py, colour))
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


# --- the engine's charts: data from the services, drawn here -----------------------------------


def attempt_domains(card: Scorecard) -> str:
    """The per-domain bar chart of one attempt ('' when it has no domain lines)."""
    if not card.domains:
        return ""
    score = card.score
    return interval_bars(
        [
            Bar(
                label=f"{line.code} {line.title}",
                value=line.score.percent,
                low=line.score.ci[0],
                high=line.score.ci[1],
                note=f"{line.score.correct} of {line.score.total} correct",
            )
            for line in card.domains
        ],
        chart_id="domain-chart",
        title="Percent correct by domain, with 95% intervals",
        summary=(
            f"Overall {score.correct} of {score.total} correct ({score.percent:.0f}%). "
            "Bars show percent correct; whiskers show the 95% Wilson interval."
        ),
        target=100.0 * card.outlook.target,
    )


def history_trend(history: History, *, narrow: bool = False) -> str:
    """The per-domain trend over the candidate's mocks, oldest first ('' with no mock).

    ``narrow`` draws it for phone widths (the page shows one or the other with CSS).
    """
    mocks = history.mocks
    if not mocks:
        return ""
    series = [
        Series(
            label=code,
            values=tuple(m.by_domain[code].percent if code in m.by_domain else None for m in mocks),
        )
        for code, _title in history.domains
    ]
    series.append(Series("Overall", tuple(m.score.percent if m.score else None for m in mocks)))
    labels = [
        f"{m.submitted_at.day} {m.submitted_at:%b}" if m.submitted_at else f"#{i}"
        for i, m in enumerate(mocks, start=1)
    ]
    names = "; ".join(f"{code} is {title}" for code, title in history.domains)
    return trend_lines(
        series,
        labels,
        chart_id="trend-chart-narrow" if narrow else "trend-chart",
        title="Percent correct per domain across your mocks",
        summary=f"{len(mocks)} finished mocks, oldest first. {names}.",
        target=100.0 * history.outlook.target,
        width=360 if narrow else 640,
        height=280 if narrow else 300,
        css_class="chart-narrow" if narrow else "chart-wide",
    )


def cohort_domains(card: CohortScorecard, titles: Mapping[str, str]) -> str:
    """The cohort's pooled average per domain with intervals ('' before any answer)."""
    bars = [
        Bar(
            label=f"{d.code} {titles.get(d.code, '')}".strip(),
            value=d.score.percent,
            low=d.score.ci[0],
            high=d.score.ci[1],
            note=f"{d.score.correct} of {d.score.total} answers correct, {d.students} students",
        )
        for d in card.domains
        if d.score.total
    ]
    if not bars:
        return ""
    return interval_bars(
        bars,
        chart_id="cohort-domains",
        title="Cohort average by domain, with 95% intervals",
        summary=(
            f"Pooled over every finished assigned mock: {card.overall.correct} of "
            f"{card.overall.total} answers correct ({card.overall.percent:.0f}%)."
        ),
        target=100.0 * card.target,
    )


def cohort_trend(card: CohortScorecard, blueprint: Blueprint) -> str:
    """The cohort's domain averages across its mocks as lines ('' before any finished mock)."""
    points = [p for p in card.trend if p.attempts]
    if not points:
        return ""
    titles = {d.code: d.title for d in blueprint.domains}
    codes = [d.code for d in blueprint.domains]
    series = [
        Series(
            label=f"{code} {titles.get(code, '')}".strip(),
            values=tuple(p.domains[code].percent if code in p.domains else None for p in points),
        )
        for code in codes
    ]
    labels = [f"Mock {card.assignments.index(p.assignment) + 1}" for p in points]
    summary = (
        "Cohort percent correct per domain on each assigned mock, pooled over the students "
        "who finished it. "
        + " ".join(
            f"{label} is {p.assignment.label}." for label, p in zip(labels, points, strict=True)
        )
    )
    return trend_lines(
        series[:5],
        labels,
        chart_id="cohort-trend",
        title="Cohort average by domain across mocks",
        summary=summary,
        target=100.0 * card.target,
    )
