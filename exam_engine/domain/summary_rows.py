"""Item summaries as the rows a recompute stores: ``item_summaries`` built column by column.

``summary_rows`` gives, for every item with responses, the same numbers as ``item_summaries``
with ``values`` and ``flags`` already written as JSON text. Building 30,000 dictionaries and
then encoding them cost more than the statistics themselves; here every number is formatted
once per column (a table lookup for the usual values in [-1, 1]) and each row's text is one
join. Parsed, a row's text equals ``ItemSummary.values`` exactly: a number rounded to d digits
is the double nearest k / 10**d, which the text "k / 10**d" in decimal parses back to.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from exam_engine.domain.item_analysis import (
    FLAG_ORDER,
    N_OPTIONS,
    OPTION_FIELDS,
    OPTION_LABELS,
    ItemStats,
    Thresholds,
    flag_masks,
)

Texts = NDArray[np.object_]

SCALAR_FIELDS = ("sd", "efficiency", "upper", "lower", "group_size")
# Ends each row in the joined text; no number, label or flag code contains it.
_ROW_END = "\x1e"


@dataclass(frozen=True)
class SummaryRows:
    """One entry per item with responses, in item order, ready to store."""

    index: list[int]
    responses: list[int]
    facility: list[float | None]
    discrimination: list[float | None]
    flags: list[str]
    values: list[str]
    # Rows with a flag other than "too-few-responses".
    review_flagged: int


@cache
def _decimal_table(digits: int) -> Texts:
    """JSON text of k / 10**digits for k in [-10**digits, 10**digits], then "null"."""
    scale = 10**digits
    texts = [float.__repr__(k / scale) for k in range(-scale, scale + 1)]
    return np.array([*texts, "null"], dtype=object)


# Counts below this are looked up in a table of their texts.
_SMALL_INTS = 1 << 16


@cache
def _int_table() -> Texts:
    return np.array([str(v) for v in range(_SMALL_INTS)], dtype=object)


def number_texts(values: Any, digits: int) -> Texts:
    """JSON text of each value rounded to ``digits`` (null for NaN), same shape as ``values``."""
    rounded = np.round(np.asarray(values, dtype=np.float64), digits)
    scale = 10**digits
    finite = np.isfinite(rounded)
    small = finite & (np.abs(np.where(finite, rounded, 0.0)) <= 1.0)
    k = np.zeros(rounded.shape, dtype=np.int64)
    k[small] = np.rint(rounded[small] * scale)
    # The table holds the text of the double k / 10**digits: use it only where that is this
    # very double (so not for -0.0, whose sign the table would drop).
    tabled = small & (k / scale == rounded) & ~((k == 0) & np.signbit(rounded))
    # Everything else points at the table's "null" for now.
    out: Texts = _decimal_table(digits)[np.where(tabled, k + scale, 2 * scale + 1)]
    rest = finite & ~tabled
    # json.dumps writes floats with float.__repr__ (shortest text that parses back).
    out[rest] = [float.__repr__(v) for v in rounded[rest].tolist()]
    return out


def _int_texts(values: Any) -> Texts:
    array = np.asarray(values, dtype=np.int64)
    if not array.size or (array.min() >= 0 and array.max() < _SMALL_INTS):
        return np.asarray(_int_table()[array], dtype=object)
    out = np.empty(array.shape, dtype=object)
    out.ravel()[:] = [str(v) for v in array.ravel().tolist()]
    return out


def _label_texts(mask: Any) -> Texts:
    """JSON list of the option labels set in each row of a (rows, >= 4) mask."""
    code = np.zeros(mask.shape[0], dtype=np.int64)
    for option in range(N_OPTIONS):
        code |= mask[:, option].astype(np.int64) << option
    table = np.array(
        [
            json.dumps([OPTION_LABELS[o] for o in range(N_OPTIONS) if bits >> o & 1])
            for bits in range(1 << N_OPTIONS)
        ],
        dtype=object,
    )
    return np.asarray(table[code], dtype=object)


def _join_rows(parts: list[Any], rows: int) -> list[str]:
    """Concatenate, row by row, columns of texts and constant texts."""
    if not rows:
        return []
    # Neighbouring constants merged: fewer, longer pieces to join.
    merged: list[Any] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    # One join of everything with a separator no text holds, then one split: no list per
    # row (10,000 short-lived lists cost several garbage-collector passes).
    grid = np.empty((rows, len(merged) + 1), dtype=object)
    for column, part in enumerate(merged):
        grid[:, column] = part
    grid[:, -1] = _ROW_END
    return "".join(grid.ravel().tolist()).split(_ROW_END)[:-1]


def _clean(values: NDArray[np.float64], digits: int) -> list[float | None]:
    rounded: list[float] = np.round(values, digits).tolist()
    return [None if math.isnan(v) else v for v in rounded]


def summary_rows(stats: ItemStats, thresholds: Thresholds, *, digits: int = 4) -> SummaryRows:
    """The rows of ``item_summaries(stats, thresholds, digits=digits)`` as stored text."""
    masks = flag_masks(stats, thresholds)
    index = np.flatnonzero(stats.responses > 0)
    suppressed = masks.suppressed[index]
    shown = index[~suppressed]
    hidden = index[suppressed]
    answer = _int_texts(stats.keys)
    minimum = str(thresholds.min_responses)

    # Flags in FLAG_ORDER, as one code per item looked up in a table of every combination.
    flag_columns = (
        masks.suppressed,
        masks.low_discrimination,
        masks.beats_key,
        masks.non_functioning,
        masks.too_easy,
        masks.too_hard,
    )
    code = np.zeros(stats.keys.size, dtype=np.int64)
    for bit, mask in enumerate(flag_columns):
        code |= mask.astype(np.int64) << bit
    flag_table = [
        json.dumps([FLAG_ORDER[b] for b in range(len(FLAG_ORDER)) if combo >> b & 1])
        for combo in range(1 << len(FLAG_ORDER))
    ]
    flags = [flag_table[c] for c in code[index].tolist()]

    parts: list[Any] = [
        '{"answer": ',
        answer[shown],
        f', "min_responses": {minimum}',
    ]
    for name in SCALAR_FIELDS:
        parts += [f', "{name}": ', number_texts(getattr(stats, name)[shown], digits)]
    for name in OPTION_FIELDS:
        array = getattr(stats, name)[shown]
        cells = _int_texts(array) if name == "option_count" else number_texts(array, digits)
        parts.append(f', "{name}": [')
        for column in range(cells.shape[1]):
            parts += [", " if column else "", cells[:, column]]
        parts.append("]")
    parts += [
        ', "beats_key": ',
        _label_texts(masks.beats_key_options[shown]),
        ', "non_functioning": ',
        _label_texts(masks.non_functioning_options[shown]),
        "}",
    ]
    shown_text = _join_rows(parts, shown.size)
    hidden_text = _join_rows(
        ['{"answer": ', answer[hidden], f', "min_responses": {minimum}, "suppressed": true}}'],
        hidden.size,
    )
    # Back into item order: suppressed and shown rows interleave.
    values = np.empty(index.size, dtype=object)
    values[~suppressed] = shown_text
    values[suppressed] = hidden_text

    facility = _clean(np.where(masks.suppressed, np.nan, stats.facility)[index], digits)
    discrimination = _clean(np.where(masks.suppressed, np.nan, stats.discrimination)[index], digits)
    review = (code >> 1) != 0
    return SummaryRows(
        index=index.tolist(),
        responses=stats.responses[index].tolist(),
        facility=facility,
        discrimination=discrimination,
        flags=flags,
        values=values.tolist(),
        review_flagged=int(np.count_nonzero(review[index])),
    )
