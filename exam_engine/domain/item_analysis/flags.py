"""Flags on item statistics, their plain-language descriptions, and item summaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from exam_engine.domain.item_analysis.base import (
    N_OPTIONS,
    OPTION_LABELS,
    Bools,
    Floats,
    Thresholds,
)
from exam_engine.domain.item_analysis.option_stats import ItemStats, distractor_columns


@dataclass(frozen=True)
class FlagMasks:
    """Per item: which flags are raised, and which distractor columns raised them."""

    suppressed: Bools
    low_discrimination: Bools
    beats_key: Bools
    non_functioning: Bools
    too_easy: Bools
    too_hard: Bools
    beats_key_options: Bools
    non_functioning_options: Bools


def flag_masks(stats: ItemStats, thresholds: Thresholds) -> FlagMasks:
    """Evaluate every flag rule for every item at once (NaN never raises a flag)."""
    seen = stats.responses > 0
    suppressed = seen & (stats.responses < thresholds.min_responses)
    judged = seen & ~suppressed
    distractor = distractor_columns(stats.keys)
    key_upper = stats.option_upper[np.arange(stats.keys.size), stats.keys]
    with np.errstate(invalid="ignore"):
        beats = distractor & (stats.option_upper > key_upper[:, None]) & judged[:, None]
        weak = distractor & (stats.option_share < thresholds.non_functioning) & judged[:, None]
        low = judged & (stats.discrimination < thresholds.discrimination)
        easy = judged & (stats.facility > thresholds.too_easy)
        hard = judged & (stats.facility < thresholds.too_hard)
    return FlagMasks(
        suppressed=suppressed,
        low_discrimination=low,
        beats_key=np.asarray(beats.any(axis=1), dtype=np.bool_),
        non_functioning=np.asarray(weak.any(axis=1), dtype=np.bool_),
        too_easy=easy,
        too_hard=hard,
        beats_key_options=beats,
        non_functioning_options=weak,
    )


def item_flags(stats: ItemStats, thresholds: Thresholds) -> list[tuple[str, ...]]:
    """Return each item's flag codes, in FLAG_ORDER."""
    masks = flag_masks(stats, thresholds)
    columns = (
        ("too-few-responses", masks.suppressed),
        ("low-discrimination", masks.low_discrimination),
        ("distractor-beats-key", masks.beats_key),
        ("non-functioning-distractor", masks.non_functioning),
        ("too-easy", masks.too_easy),
        ("too-hard", masks.too_hard),
    )
    flags: list[tuple[str, ...]] = [() for _ in range(stats.keys.size)]
    for code, mask in columns:
        for index in np.flatnonzero(mask).tolist():
            flags[index] = (*flags[index], code)
    return flags


def _clean(values: Floats, digits: int) -> list[Any]:
    """Round and turn NaN into None, ready for JSON (nested lists for 2-D arrays)."""
    rounded = np.round(values, digits)
    nested: list[Any] = rounded.tolist()
    missing = np.isnan(rounded)
    if rounded.ndim == 1:
        for i in np.flatnonzero(missing).tolist():
            nested[i] = None
        return nested
    # Few rows have a gap (an option nobody chose has no correlation): mend only those.
    for i in np.flatnonzero(missing.any(axis=1)).tolist():
        nested[i] = [
            None if gap else v for v, gap in zip(nested[i], missing[i].tolist(), strict=True)
        ]
    return nested


OPTION_FIELDS = ("option_count", "option_share", "option_upper", "option_lower", "option_r")


@dataclass(frozen=True)
class ItemSummary:
    """One item's stored statistics: columns plus the JSON ``values`` (see ``item_summaries``)."""

    index: int
    responses: int
    facility: float | None
    discrimination: float | None
    flags: tuple[str, ...]
    values: dict[str, Any]


def item_summaries(
    stats: ItemStats, thresholds: Thresholds, *, digits: int = 4
) -> list[ItemSummary]:
    """Summaries of every item with at least one response; numbers withheld below the minimum.

    ``values`` holds answer (the key's stored index) and min_responses; when suppressed,
    suppressed=True; otherwise sd, efficiency, upper, lower, group_size, the five-long lists
    option_count, option_share, option_upper, option_lower and option_r (A, B, C, D, then
    unanswered), and beats_key / non_functioning (the distractors that raised those flags).
    """
    masks = flag_masks(stats, thresholds)
    flags = item_flags(stats, thresholds)
    scalars = {
        name: _clean(getattr(stats, name), digits)
        for name in ("facility", "discrimination", "sd", "efficiency", "upper", "lower")
    }
    group = _clean(stats.group_size, digits)
    options = {name: _clean(getattr(stats, name), digits) for name in OPTION_FIELDS[1:]}
    options["option_count"] = stats.option_count.tolist()
    keys = stats.keys.tolist()
    responses = stats.responses.tolist()
    suppressed = masks.suppressed.tolist()
    beats = masks.beats_key_options.tolist()
    weak = masks.non_functioning_options.tolist()
    facility = scalars["facility"]
    discrimination = scalars["discrimination"]
    out: list[ItemSummary] = []
    for i in np.flatnonzero(stats.responses > 0).tolist():
        values: dict[str, Any] = {"answer": keys[i], "min_responses": thresholds.min_responses}
        if suppressed[i]:
            values["suppressed"] = True
            out.append(ItemSummary(i, responses[i], None, None, flags[i], values))
            continue
        values["sd"] = scalars["sd"][i]
        values["efficiency"] = scalars["efficiency"][i]
        values["upper"] = scalars["upper"][i]
        values["lower"] = scalars["lower"][i]
        values["group_size"] = group[i]
        for name in OPTION_FIELDS:
            values[name] = options[name][i]
        values["beats_key"] = [OPTION_LABELS[o] for o in range(N_OPTIONS) if beats[i][o]]
        values["non_functioning"] = [OPTION_LABELS[o] for o in range(N_OPTIONS) if weak[i][o]]
        out.append(ItemSummary(i, responses[i], facility[i], discrimination[i], flags[i], values))
    return out


def describe_flag(
    code: str,
    *,
    responses: int,
    facility: float | None,
    discrimination: float | None,
    values: dict[str, Any],
) -> str:
    """Explain one flag of a stored summary in a sentence naming the numbers behind it."""

    def option_share(label: str, field: str) -> str:
        shares = values.get(field) or []
        index = OPTION_LABELS.index(label)
        return _percent(shares[index] if index < len(shares) else None)

    if code == "too-few-responses":
        return (
            f"Only {responses} first-attempt response(s); statistics are shown from "
            f"{values.get('min_responses')} on."
        )
    if code == "low-discrimination":
        sign = "negative" if discrimination is not None and discrimination < 0 else "below 0.15"
        shown = "" if discrimination is None else f" ({discrimination:.2f})"
        return (
            f"Discrimination{shown} is {sign}: candidates who do well on the rest of their form "
            "do no better here. Check the key and look for a second defensible answer."
        )
    if code == "distractor-beats-key":
        key = OPTION_LABELS[int(values.get("answer", 0))]
        beaten = [f"{o} ({option_share(o, 'option_upper')})" for o in values["beats_key"]]
        return (
            f"In the upper 27% group, {_listed('distractor', beaten)} chosen more often than "
            f"the key {key} ({option_share(key, 'option_upper')}): possible miskey or ambiguity."
        )
    if code == "non-functioning-distractor":
        weak = [f"{o} ({option_share(o, 'option_share')})" for o in values["non_functioning"]]
        return (
            f"{_listed('Distractor', weak)} chosen by under 5% of candidates: a distractor "
            "nobody picks does no work; rewrite it as a plausible misconception."
        )
    if code == "too-easy":
        return f"Facility {_percent(facility)} is above 95%: the item tells few candidates apart."
    if code == "too-hard":
        return f"Facility {_percent(facility)} is below 20%: check the key and the wording."
    raise ValueError(f"unknown flag {code!r}")


def _listed(noun: str, parts: list[str]) -> str:
    """'distractor C (40%) was' or 'distractors C (40%) and D (30%) were'."""
    if len(parts) == 1:
        return f"{noun} {parts[0]} was"
    return f"{noun}s {', '.join(parts[:-1])} and {parts[-1]} were"


def _percent(value: Any) -> str:
    # Adding 0.0 turns a rounded -0.0 into 0.0, so nothing prints as "-0%".
    return "n/a" if value is None else f"{round(100.0 * float(value)) + 0.0:.0f}%"
