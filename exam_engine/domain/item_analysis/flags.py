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
from exam_engine.domain.plurals import counted


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


def upper_counts(option_upper: Any, group_size: Any) -> Floats:
    """Return the upper group's choices per option as whole counts: round(share * g)."""
    with np.errstate(invalid="ignore"):
        counts = np.rint(
            np.asarray(option_upper, dtype=np.float64) * np.asarray(group_size)[..., None]
        )
    return np.where(np.isnan(counts), 0.0, counts)


def beats_key_p_values(option_upper: Any, group_size: Any, keys: Any) -> Floats:
    """One-sided exact binomial p-value per (item, option) that the option beats the key.

    Among the upper group's members who chose the key or option o (n = k_key + k_o, counts
    from ``upper_counts``), H0: each of the two is equally likely; p = P(X >= k_o) for
    X ~ Binomial(n, 1/2). The key's own column, and n = 0, get p = 1.
    """
    counts = upper_counts(option_upper, group_size)
    rows = np.arange(counts.shape[0])
    key_counts = counts[rows, np.asarray(keys)]
    n = counts + key_counts[:, None]
    # Imported where used: scipy adds ~65 MB to every process (CLI, web).
    from scipy import stats as _scipy_stats  # type: ignore[import-untyped]

    p = np.asarray(_scipy_stats.binom.sf(counts - 1, n, 0.5), dtype=np.float64)
    p = np.where((n > 0) & ~np.isnan(p), p, 1.0)
    p[rows, np.asarray(keys)] = 1.0
    return p


def flag_masks(stats: ItemStats, thresholds: Thresholds) -> FlagMasks:
    """Evaluate every flag rule for every item at once (NaN never raises a flag).

    A possible miskey needs evidence: a distractor chosen by more of the upper group than the
    key, and by significantly more (``beats_key_p_values`` below ``miskey_alpha``). Ceiling
    and floor items (facility above too_easy or below too_hard) are flagged as such and not
    as low discrimination: with almost no variance, the correlation says nothing.
    """
    seen = stats.responses > 0
    suppressed = seen & (stats.responses < thresholds.min_responses)
    judged = seen & ~suppressed
    distractor = distractor_columns(stats.keys)
    key_upper = stats.option_upper[np.arange(stats.keys.size), stats.keys]
    p_values = beats_key_p_values(stats.option_upper, stats.group_size, stats.keys)
    with np.errstate(invalid="ignore"):
        beats = (
            distractor
            & (stats.option_upper > key_upper[:, None])
            & (p_values < thresholds.miskey_alpha)
            & judged[:, None]
        )
        weak = distractor & (stats.option_share < thresholds.non_functioning) & judged[:, None]
        easy = judged & (stats.facility > thresholds.too_easy)
        hard = judged & (stats.facility < thresholds.too_hard)
        low = judged & (stats.discrimination < thresholds.discrimination) & ~easy & ~hard
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
            f"Only {counted(responses, 'first-attempt response')}; statistics are shown from "
            f"{values.get('min_responses')} on."
        )
    if code == "low-discrimination":
        sign = "negative" if discrimination is not None and discrimination < 0 else "below 0.15"
        shown = "" if discrimination is None else f" ({discrimination:.2f})"
        return (
            f"Discrimination{shown} is {sign}: candidates who do well on the rest of their form "
            "do no better here. Look for a second defensible answer or a cue in the wording."
        )
    if code == "distractor-beats-key":
        answer = int(values.get("answer", 0))
        key = OPTION_LABELS[answer]
        upper = values.get("option_upper") or []
        group = values.get("group_size")
        p_values = (
            beats_key_p_values([upper], [group], [answer])[0].tolist()
            if len(upper) > N_OPTIONS and group is not None
            else []
        )
        beaten = [
            f"{o} ({option_share(o, 'option_upper')}, p = "
            f"{_p_value(p_values[OPTION_LABELS.index(o)] if p_values else None)})"
            for o in values["beats_key"]
        ]
        return (
            f"In the upper 27% group, {_listed('distractor', beaten)} chosen more often than "
            f"the key {key} ({option_share(key, 'option_upper')}), beyond chance (one-sided "
            "exact binomial test between the two): possible miskey. Check the key first."
        )
    if code == "non-functioning-distractor":
        weak = [f"{o} ({option_share(o, 'option_share')})" for o in values["non_functioning"]]
        return (
            f"{_listed('Distractor', weak)} chosen by under 5% of candidates: a distractor "
            "nobody picks does no work; rewrite it as a plausible misconception."
        )
    if code == "too-easy":
        return (
            f"Facility {_percent(facility)} is above 95%: a ceiling effect. Almost everyone "
            "answers correctly, so the item tells few candidates apart and its discrimination "
            "means little; it is not a sign of a miskey."
        )
    if code == "too-hard":
        return (
            f"Facility {_percent(facility)} is below 20%, under the 25% of blind guessing: a "
            "floor effect. Check the key, the wording and whether the topic is taught."
        )
    raise ValueError(f"unknown flag {code!r}")


def _listed(noun: str, parts: list[str]) -> str:
    """'distractor C (40%) was' or 'distractors C (40%) and D (30%) were'."""
    if len(parts) == 1:
        return f"{noun} {parts[0]} was"
    return f"{noun}s {', '.join(parts[:-1])} and {parts[-1]} were"


def _p_value(value: float | None) -> str:
    """'0.012', or '< 0.001' for the smallest."""
    if value is None:
        return "n/a"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _percent(value: Any) -> str:
    # Adding 0.0 turns a rounded -0.0 into 0.0, so nothing prints as "-0%".
    return "n/a" if value is None else f"{round(100.0 * float(value)) + 0.0:.0f}%"
