"""Classical item analysis over random forms, after Moodle's quiz statistics report.

Entries and marks
-----------------
An *entry* is one item an attempt showed: (attempt, position, item, choice). Its mark x is 1
when the stored choice equals the item version's key and 0 otherwise (unanswered is wrong).
Forms differ between attempts, so a candidate's standing is measured on their own form:

    rest(a, i) = (T_a - x_ai) / (k_a - 1)

with T_a the attempt's number correct and k_a its number of items: the share correct on the
rest of that form. An attempt of a single item has no rest score; its entries are left out.

Item statistics (``item_stats``)
--------------------------------
Over an item's N counted entries (the caller chooses them: first exposures in one scope), with
marks x_n, rest scores R_n, Rbar = mean(R), N1 = sum(x):

    facility           p   = N1 / N                                  (Moodle's F, as a share)
    standard deviation SD  = sqrt(sum((x - p)^2) / (N - 1))          (Moodle's SD; N >= 2)
    discrimination     r   = sum((x - p)(R - Rbar)) / sqrt(sum((x - p)^2) * sum((R - Rbar)^2))
                             the Pearson item-rest correlation (Moodle's index / 100)
    efficiency         DE  = C(x, R) / Cmax(x, R): C is the covariance and Cmax the covariance
                             of x and R each sorted ascending, the largest their marginals allow.
                             For a 0/1 mark that pairs the N1 ones with the N1 highest R, so
                             DE = sum(x (R - Rbar)) / (sum of the N1 largest (R - Rbar)).
                             It is at most 1; a reversed item can go below -1, since the
                             most negative covariance need not mirror Cmax.
    upper / lower      the g = 0.27 N entries with the highest / lowest rest scores (g is not
    27% groups         rounded). Entries tied on R at a group's edge share the room left
                       equally: each gets weight (overlap of its tie block with the group) /
                       (tie block size), so tied entries are never split by storage order.
    upper facility     p_U = sum(w_U x) / g;   lower facility p_L = sum(w_L x) / g
    per option o       (A-D by stored index, plus "unanswered"), y = [entry chose o]:
                       share = sum(y) / N, upper share = sum(w_U y) / g,
                       lower share = sum(w_L y) / g, option-rest r = Pearson(y, R)
                       (the key's option-rest r equals the item's r).

A statistic whose denominator is zero (no variance, N < 2) is undefined: NaN here, None in JSON.

Flags (``item_flags``); an item with N below the minimum gets only "too-few-responses" and
its statistics are withheld from the summary:

    low-discrimination          r < 0.15, negative included: possible miskey or ambiguity
    distractor-beats-key        a distractor's upper-group share exceeds the key's
    non-functioning-distractor  a distractor chosen by under 5% of the N
    too-easy / too-hard         p > 0.95 / p < 0.20

Test statistics (``score_stats``)
---------------------------------
Per template, each counted attempt's marks by position ("slots", as Moodle treats random
questions: a slot holds different versions on different forms) make an A x k 0/1 matrix with
totals X_a, slot facilities p_j and population variances (divisor A):

    mean and SD of X (SD with divisor A - 1), also as percent of k
    KR-20 alpha = k / (k - 1) * (1 - sum_j p_j (1 - p_j) / var(X))
    SEM         = SD * sqrt(1 - alpha)
    distribution: counts of percent scores in [0, 10), [10, 20), ..., [90, 100]

Computation
-----------
Everything is vectorised over all items at once: one sort of the entries by (item, rest
descending) on exact integer ranks of the rest scores (``Scored.rest_rank``), then sums per
item or per (item, option) cell with ``np.bincount``. Tie blocks and group weights come from
the sorted keys; sums of rest scores are centred per item first, for precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]

N_OPTIONS = 4
OPTION_LABELS = ("A", "B", "C", "D")
UNANSWERED = -1
# Column of the per-option arrays that counts unanswered entries.
BLANK = N_OPTIONS
GROUP_SHARE = 0.27
DEFAULT_MIN_RESPONSES = 30
DISTRIBUTION_BINS = 10

FLAG_LABELS = {
    "too-few-responses": "Too few responses",
    "low-discrimination": "Review: possible miskey or ambiguity",
    "distractor-beats-key": "Distractor beats the key in the upper group",
    "non-functioning-distractor": "Non-functioning distractor",
    "too-easy": "Too easy",
    "too-hard": "Too hard",
}
FLAG_ORDER = tuple(FLAG_LABELS)


@dataclass(frozen=True)
class Thresholds:
    """Where the flags start; ``min_responses`` is the app's ITEM_STATS_MIN_RESPONSES."""

    min_responses: int = DEFAULT_MIN_RESPONSES
    discrimination: float = 0.15
    too_easy: float = 0.95
    too_hard: float = 0.20
    non_functioning: float = 0.05

    def __post_init__(self) -> None:
        """Reject a minimum that is not a positive whole number."""
        if isinstance(self.min_responses, bool) or not isinstance(self.min_responses, int):
            raise ValueError(f"min_responses must be an integer, got {self.min_responses!r}")
        if self.min_responses < 1:
            raise ValueError(f"min_responses must be >= 1, got {self.min_responses}")


@dataclass(frozen=True)
class Scored:
    """Marks and rest scores of every entry, with each attempt's total and form size.

    ``rest_rank`` orders the rest scores exactly (equal rank if and only if equal rest, a
    higher rank for a higher rest; -1 where there is no rest score): it lets ``item_stats``
    sort integers instead of floats.
    """

    correct: Bools
    rest: Floats
    rest_rank: Ints
    totals: Ints
    form_size: Ints


def _as_ints(values: Any, name: str) -> Ints:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got {array.dtype}")
    return array.astype(np.int64, copy=False)


def score_entries(attempt: Any, item: Any, choice: Any, keys: Any, n_attempts: int) -> Scored:
    """Mark each entry against its item's key and give it the rest-of-form score.

    :param attempt: attempt row (0..n_attempts-1) of each entry
    :param item: item column of each entry, indexing ``keys``
    :param choice: stored option index of each entry, or -1 for unanswered
    :param keys: the key's stored option index of each item column
    """
    attempt_ = _as_ints(attempt, "attempt")
    item_ = _as_ints(item, "item")
    choice_ = _as_ints(choice, "choice")
    keys_ = _as_ints(keys, "keys")
    if not attempt_.size == item_.size == choice_.size:
        raise ValueError("attempt, item and choice must have the same length")
    if attempt_.size:
        if attempt_.min() < 0 or attempt_.max() >= n_attempts:
            raise ValueError(f"attempt rows must be in 0..{n_attempts - 1}")
        if item_.min() < 0 or item_.max() >= keys_.size:
            raise ValueError(f"item columns must be in 0..{keys_.size - 1}")
        if choice_.min() < UNANSWERED or choice_.max() >= N_OPTIONS:
            raise ValueError(f"choices must be -1 (unanswered) or 0..{N_OPTIONS - 1}")
    if keys_.size and (keys_.min() < 0 or keys_.max() >= N_OPTIONS):
        raise ValueError(f"keys must be in 0..{N_OPTIONS - 1}")
    correct = choice_ == keys_[item_]
    totals = np.bincount(attempt_, weights=correct, minlength=n_attempts).astype(np.int64)
    form_size = np.bincount(attempt_, minlength=n_attempts).astype(np.int64)
    # An entry's rest score is one of two per attempt: T / (k - 1) when the entry is wrong,
    # (T - 1) / (k - 1) when it is right. Working per attempt gives exact ranks cheaply.
    others = form_size - 1
    has_rest = others > 0
    if_wrong = np.full(n_attempts, np.nan)
    if_right = np.full(n_attempts, np.nan)
    np.divide(totals, others, out=if_wrong, where=has_rest)
    np.divide(totals - 1, others, out=if_right, where=has_rest & (totals > 0))
    levels = np.unique(np.concatenate((if_wrong[has_rest], if_right[has_rest & (totals > 0)])))
    rank_wrong = np.where(has_rest, np.searchsorted(levels, if_wrong), -1)
    rank_right = np.where(has_rest, np.searchsorted(levels, if_right), -1)
    rest = np.where(correct, if_right[attempt_], if_wrong[attempt_])
    rest_rank = np.where(correct, rank_right[attempt_], rank_wrong[attempt_]).astype(np.int64)
    return Scored(
        correct=correct, rest=rest, rest_rank=rest_rank, totals=totals, form_size=form_size
    )


def first_exposures(person: Any, item: Any, order: Any) -> Bools:
    """Return True for each (person, item) pair's entry with the smallest ``order``.

    ``order`` ranks the entries' attempts (earliest first); an attempt never shows an item
    twice, so the earliest entry of a pair is unique.
    """
    person_ = _as_ints(person, "person")
    item_ = _as_ints(item, "item")
    order_ = _as_ints(order, "order")
    if not person_.size == item_.size == order_.size:
        raise ValueError("person, item and order must have the same length")
    counted = np.zeros(person_.size, dtype=np.bool_)
    if not person_.size:
        return counted
    if min(person_.min(), item_.min(), order_.min()) < 0:
        raise ValueError("person, item and order must be >= 0")
    n_items = int(item_.max()) + 1
    n_order = int(order_.max()) + 1
    pair = person_ * n_items + item_
    # One int64 key sorts much faster than a lexsort of two; fall back when it would overflow.
    if (int(person_.max()) + 1) * n_items * n_order < 2**62:
        ranked = np.argsort(pair * n_order + order_)
    else:
        ranked = np.lexsort((order_, pair))
    sorted_pair = pair[ranked]
    first = np.ones(ranked.size, dtype=np.bool_)
    first[1:] = sorted_pair[1:] != sorted_pair[:-1]
    counted[ranked[first]] = True
    return counted


@dataclass(frozen=True)
class ItemStats:
    """Statistics per item column (NaN where undefined); option arrays are (items, 5)."""

    keys: Ints
    responses: Ints
    facility: Floats
    sd: Floats
    discrimination: Floats
    efficiency: Floats
    upper: Floats
    lower: Floats
    group_size: Floats
    option_count: Ints
    option_share: Floats
    option_upper: Floats
    option_lower: Floats
    option_r: Floats


def _divide(numerator: Floats, denominator: Floats) -> Floats:
    """Elementwise numerator / denominator, NaN where the denominator is not positive."""
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _sum_by(index: Ints, weights: Any, length: int) -> Floats:
    """Sum ``weights`` per index value 0..length-1 (a float ``np.bincount``)."""
    return np.asarray(np.bincount(index, weights=weights, minlength=length), dtype=np.float64)


def _block_weights(key_s: Ints, item_s: Ints, n: Ints) -> tuple[Floats, Floats]:
    """Upper and lower 27% group weights of entries sorted by (item, rest descending).

    ``key_s`` is equal exactly for entries of one item tied on rest (one tie block).
    """
    size = key_s.size
    starts = np.concatenate(([0], np.cumsum(n)[:-1])).astype(np.int64)
    change = np.flatnonzero(key_s[1:] != key_s[:-1]) + 1
    block_first = np.concatenate(([0], change)).astype(np.int64) if size else change
    block_len = np.diff(block_first, append=size)
    block_item = item_s[block_first]
    # Positions within the item's ranking: the tie block covers [lo, hi).
    lo = (block_first - starts[block_item]).astype(np.float64)
    hi = lo + block_len
    n_block = n[block_item].astype(np.float64)
    g = GROUP_SHARE * n_block
    upper = np.clip(np.minimum(hi, g) - lo, 0.0, None) / block_len
    lower = np.clip(hi - np.maximum(lo, n_block - g), 0.0, None) / block_len
    return np.repeat(upper, block_len), np.repeat(lower, block_len)


def _sort_key(item: Ints, rest_rank: Ints, n_levels: int) -> Ints:
    """One integer per entry that orders by item, then rest score from the highest."""
    return item * n_levels + (n_levels - 1 - rest_rank)


def _rank(item: Ints, rest_rank: Ints, n_levels: int) -> tuple[NDArray[np.intp] | None, Ints]:
    """Order entries by item, then rest from the highest; return the order and sorted keys.

    The order is None when the entries are already in that order (see ``entry_order``).
    """
    key = _sort_key(item, rest_rank, n_levels)
    if key.size < 2 or bool(np.all(key[1:] >= key[:-1])):
        return None, key
    index_bits = max(1, int(item.size).bit_length())
    if int(key.max()).bit_length() + index_bits <= 62:
        # Pack the entry index under the key: a plain sort of int64 (SIMD) is several times
        # faster than an argsort, and the keys are distinct, so the order is the same.
        packed = np.sort((key << index_bits) | np.arange(item.size, dtype=np.int64))
        order = (packed & ((1 << index_bits) - 1)).astype(np.intp)
        return order, packed >> index_bits
    order = np.argsort(key, kind="stable")
    return order, key[order]


def entry_order(item: Any, rest_rank: Any) -> NDArray[np.intp]:
    """The order ``item_stats`` sorts entries into (item, then rest from the highest).

    Entries passed to ``item_stats`` already in this order, or any subset of them in the same
    relative order, are not sorted again: several scopes of one population sort only once.
    """
    item_ = _as_ints(item, "item")
    rank = _as_ints(rest_rank, "rest_rank")
    if item_.size != rank.size:
        raise ValueError("item and rest_rank must have the same length")
    if not item_.size:
        return np.zeros(0, dtype=np.intp)
    n_levels = int(rank.max()) + 1
    order, _ = _rank(item_, rank, n_levels)
    return np.arange(item_.size, dtype=np.intp) if order is None else order


def item_stats(item: Any, choice: Any, rest: Any, keys: Any, *, rest_rank: Any = None) -> ItemStats:
    """Compute every item statistic (see the module docstring) for the given entries.

    :param item: item column of each counted entry (indexes ``keys``)
    :param choice: stored option index of each entry, or -1 for unanswered
    :param rest: each entry's rest-of-form score in [0, 1]
    :param keys: the key's stored option index of each item column
    :param rest_rank: optional exact ranks of ``rest`` (``Scored.rest_rank``), a speed-up
    """
    item_ = _as_ints(item, "item")
    choice_ = _as_ints(choice, "choice")
    keys_ = _as_ints(keys, "keys")
    rest_ = np.asarray(rest, dtype=np.float64)
    n_items = keys_.size
    if not item_.size == choice_.size == rest_.size:
        raise ValueError("item, choice and rest must have the same length")
    if item_.size:
        if item_.min() < 0 or item_.max() >= n_items:
            raise ValueError(f"item columns must be in 0..{n_items - 1}")
        if choice_.min() < UNANSWERED or choice_.max() >= N_OPTIONS:
            raise ValueError(f"choices must be -1 (unanswered) or 0..{N_OPTIONS - 1}")
        if not np.all((rest_ >= 0.0) & (rest_ <= 1.0)):
            raise ValueError("rest scores must be in [0, 1] (leave out one-item forms)")
    if keys_.size and (keys_.min() < 0 or keys_.max() >= N_OPTIONS):
        raise ValueError(f"keys must be in 0..{N_OPTIONS - 1}")
    if rest_rank is None:
        levels, inverse = np.unique(rest_, return_inverse=True)
        rank = inverse.astype(np.int64).ravel()
        n_levels = max(1, levels.size)
    else:
        rank = _as_ints(rest_rank, "rest_rank")
        if rank.size != item_.size:
            raise ValueError("rest_rank must have the same length as rest")
        n_levels = int(rank.max()) + 1 if rank.size else 1
        if rank.size and rank.min() < 0:
            raise ValueError("rest_rank must be >= 0")
    columns = N_OPTIONS + 1
    size = n_items * columns
    rows = np.arange(n_items)
    n = np.bincount(item_, minlength=n_items).astype(np.int64)
    nf = n.astype(np.float64)
    per_item = nf[:, None]

    ranked, key_s = _rank(item_, rank, n_levels)
    item_s = key_s // n_levels
    rest_s = rest_ if ranked is None else rest_[ranked]
    if rest_rank is not None and rest_s.size > 1:
        # The ranks must order the scores exactly, or groups and ties would be wrong.
        same = key_s[1:] == key_s[:-1]
        same_item = item_s[1:] == item_s[:-1]
        if np.any(same & (rest_s[1:] != rest_s[:-1])) or np.any(
            same_item & ~same & (rest_s[1:] >= rest_s[:-1])
        ):
            raise ValueError("rest_rank does not order rest exactly")
    # Unanswered (-1) goes to the last column, BLANK.
    cell = item_ * columns + choice_ + columns * (choice_ < 0)
    cell_s = cell if ranked is None else cell[ranked]
    starts = np.concatenate(([0], np.cumsum(n)[:-1])).astype(np.int64)
    seen = n > 0
    # Exactly constant rest scores (compared, not summed) have no variance at all.
    constant = np.ones(n_items, dtype=np.bool_)
    constant[seen] = key_s[starts[seen]] == key_s[starts[seen] + n[seen] - 1]

    counts = np.bincount(cell_s, minlength=size).reshape(n_items, columns).astype(np.int64)
    counts_f = counts.astype(np.float64)
    n1 = counts_f[rows, keys_]
    facility = _divide(n1, nf)
    sd = np.sqrt(_divide(n1 * (nf - n1), nf * (nf - 1.0)))

    # Centre rest scores per item first: sums of centred values keep full precision.
    rest_mean = _divide(_sum_by(item_s, rest_s, n_items), nf)
    centred = rest_s - rest_mean[item_s]
    rest_ss = _sum_by(item_s, centred * centred, n_items)
    rest_ss[constant] = 0.0
    cross = _sum_by(cell_s, centred, size).reshape(n_items, columns)
    option_ss = _divide(counts_f * (per_item - counts_f), np.broadcast_to(per_item, counts.shape))
    option_r = np.clip(_divide(cross, np.sqrt(option_ss * rest_ss[:, None])), -1.0, 1.0)

    upper_w, lower_w = _block_weights(key_s, item_s, n)
    g = GROUP_SHARE * nf
    group = np.broadcast_to(g[:, None], counts.shape)
    upper_cells = _sum_by(cell_s, upper_w, size).reshape(n_items, columns)
    lower_cells = _sum_by(cell_s, lower_w, size).reshape(n_items, columns)
    option_upper = _divide(upper_cells, group)
    option_lower = _divide(lower_cells, group)

    # Largest covariance for these marginals: the N1 highest rest scores paired with the ones.
    rank_in_item = np.arange(item_s.size) - starts[item_s]
    top = rank_in_item < n1[item_s]
    top_sum = _sum_by(item_s, centred * top, n_items)
    defined = (n1 > 0) & (n1 < nf) & (rest_ss > 0.0)
    efficiency = _divide(cross[rows, keys_], np.where(defined, top_sum, 0.0))

    return ItemStats(
        keys=keys_,
        responses=n,
        facility=facility,
        sd=sd,
        discrimination=option_r[rows, keys_],
        efficiency=efficiency,
        upper=option_upper[rows, keys_],
        lower=option_lower[rows, keys_],
        group_size=g,
        option_count=counts,
        option_share=_divide(counts_f, np.broadcast_to(per_item, counts.shape)),
        option_upper=option_upper,
        option_lower=option_lower,
        option_r=option_r,
    )


def _distractors(keys: Ints) -> Bools:
    """(items, 5) mask of the distractor columns: options A-D other than the key."""
    mask = np.zeros((keys.size, N_OPTIONS + 1), dtype=np.bool_)
    mask[:, :N_OPTIONS] = True
    mask[np.arange(keys.size), keys] = False
    return mask


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
    distractor = _distractors(stats.keys)
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


@dataclass(frozen=True)
class ItemSummary:
    """One item's stored statistics: columns plus the JSON ``values`` (see ``item_summaries``)."""

    index: int
    responses: int
    facility: float | None
    discrimination: float | None
    flags: tuple[str, ...]
    values: dict[str, Any]


OPTION_FIELDS = ("option_count", "option_share", "option_upper", "option_lower", "option_r")


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


@dataclass(frozen=True)
class ScoreStats:
    """Test-level statistics of one template's counted attempts (NaN where undefined)."""

    attempts: int
    items: int
    excluded: int
    mean: float
    sd: float
    alpha: float
    sem: float
    median_percent: float
    min_percent: float
    max_percent: float
    distribution: tuple[int, ...]

    @property
    def mean_percent(self) -> float:
        """Mean score as a percent of the form."""
        return 100.0 * self.mean / self.items if self.items else math.nan

    @property
    def sd_percent(self) -> float:
        """SD as a percent of the form."""
        return 100.0 * self.sd / self.items if self.items else math.nan

    @property
    def sem_percent(self) -> float:
        """SEM as a percent of the form."""
        return 100.0 * self.sem / self.items if self.items else math.nan

    def to_values(self, thresholds: Thresholds, digits: int = 4) -> dict[str, Any]:
        """JSON-ready values; alpha and SEM withheld when attempts are below the minimum."""

        def clean(value: float) -> float | None:
            return None if math.isnan(value) else round(value, digits)

        suppressed = self.attempts < thresholds.min_responses
        return {
            "items": self.items,
            "excluded_attempts": self.excluded,
            "mean": clean(self.mean),
            "mean_percent": clean(self.mean_percent),
            "sd": clean(self.sd),
            "sd_percent": clean(self.sd_percent),
            "median_percent": clean(self.median_percent),
            "min_percent": clean(self.min_percent),
            "max_percent": clean(self.max_percent),
            "alpha": None if suppressed else clean(self.alpha),
            "sem": None if suppressed else clean(self.sem),
            "sem_percent": None if suppressed else clean(self.sem_percent),
            "suppressed": suppressed,
            "min_responses": thresholds.min_responses,
            "distribution": list(self.distribution),
        }


def slot_matrix(attempt: Any, position: Any, correct: Any) -> tuple[Floats, int]:
    """Arrange entries into an attempts x positions 0/1 matrix; return it and how many left out.

    Rows are the distinct attempts in ascending order; an attempt's positions are distinct
    (the database's unique constraint). Only attempts whose form has the most common length k
    with positions 1..k are kept: a template edited between attempts would otherwise mix
    forms of different lengths.
    """
    attempt_ = _as_ints(attempt, "attempt")
    position_ = _as_ints(position, "position")
    correct_ = np.asarray(correct, dtype=np.bool_)
    if not attempt_.size == position_.size == correct_.size:
        raise ValueError("attempt, position and correct must have the same length")
    if not attempt_.size:
        return np.zeros((0, 0)), 0
    if attempt_.min() < 0:
        raise ValueError("attempt rows must be >= 0")
    span = int(attempt_.max()) + 1
    if span <= 4 * attempt_.size:
        # Dense row numbers (the usual case): a lookup table instead of np.unique's sort.
        present = np.bincount(attempt_, minlength=span) > 0
        rows = np.flatnonzero(present)
        row_of = (np.cumsum(present) - 1)[attempt_]
    else:
        rows, row_of = np.unique(attempt_, return_inverse=True)
    size = np.bincount(row_of, minlength=rows.size)
    k = int(np.bincount(size).argmax())
    in_range = np.bincount(row_of, weights=(position_ >= 1) & (position_ <= k), minlength=rows.size)
    keep_row = (size == k) & (in_range == k)
    new_row = np.cumsum(keep_row) - 1
    keep = keep_row[row_of]
    matrix = np.zeros((int(keep_row.sum()), k))
    matrix[new_row[row_of[keep]], position_[keep] - 1] = correct_[keep]
    return matrix, int(rows.size - keep_row.sum())


def score_stats(matrix: Any, *, excluded: int = 0) -> ScoreStats:
    """KR-20, SEM, mean, SD and score distribution of an attempts x slots 0/1 matrix."""
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("matrix must be two-dimensional (attempts x slots)")
    a, k = x.shape
    if a == 0 or k == 0:
        nan = math.nan
        return ScoreStats(0, k, excluded, nan, nan, nan, nan, nan, nan, nan, (0,) * 10)
    totals = x.sum(axis=1)
    mean = float(totals.mean())
    sd = float(totals.std(ddof=1)) if a > 1 else math.nan
    var_total = float(totals.var())
    p = x.mean(axis=0)
    alpha = math.nan
    if k > 1 and var_total > 0:
        alpha = k / (k - 1) * (1.0 - float((p * (1.0 - p)).sum()) / var_total)
    sem = sd * math.sqrt(1.0 - alpha) if not math.isnan(alpha) and alpha <= 1.0 else math.nan
    percents = 100.0 * totals / k
    # Bin b holds percent scores in [10b, 10b + 10), in exact integer arithmetic; a perfect
    # score joins the top bin.
    correct = np.rint(totals).astype(np.int64)
    bins = np.minimum(correct * DISTRIBUTION_BINS // k, DISTRIBUTION_BINS - 1)
    distribution = tuple(np.bincount(bins, minlength=DISTRIBUTION_BINS).tolist())
    return ScoreStats(
        attempts=a,
        items=k,
        excluded=excluded,
        mean=mean,
        sd=sd,
        alpha=alpha,
        sem=sem,
        median_percent=float(np.median(percents)),
        min_percent=float(percents.min()),
        max_percent=float(percents.max()),
        distribution=distribution,
    )
