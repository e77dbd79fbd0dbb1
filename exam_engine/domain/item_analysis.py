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

import itertools
import math
from dataclasses import dataclass, replace
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
    higher rank for a higher rest; -1 where there is no rest score), and ``levels[rank]`` is
    the score itself: it lets ``rank_entries`` sort integers instead of floats.
    """

    correct: Bools
    rest_rank: Ints
    totals: Ints
    form_size: Ints
    levels: Floats

    @property
    def rest(self) -> Floats:
        """Each entry's rest score (NaN where there is none)."""
        scored = self.rest_rank >= 0
        if not self.levels.size:
            return np.full(self.rest_rank.shape, np.nan)
        return np.where(scored, self.levels[np.where(scored, self.rest_rank, 0)], np.nan)


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
    # A key table of bytes: the gather makes a small temporary instead of a large one.
    correct = choice_ == keys_.astype(np.int8)[item_]
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
    # Only scores some entry has: a wrong one where the attempt missed any, a right one where
    # it got any (so every level is in [0, 1]).
    some_wrong = has_rest & (totals < form_size)
    levels = np.unique(np.concatenate((if_wrong[some_wrong], if_right[has_rest & (totals > 0)])))
    rank_wrong = np.where(has_rest, np.searchsorted(levels, if_wrong), -1)
    rank_right = np.where(has_rest, np.searchsorted(levels, if_right), -1)
    # One gather from a table of both ranks per attempt: [wrong ranks..., right ranks...].
    both = np.concatenate((rank_wrong, rank_right)).astype(np.int64)
    index = correct.astype(np.int64)
    index *= n_attempts
    index += attempt_
    rest_rank = both[index]
    return Scored(
        correct=correct,
        rest_rank=rest_rank,
        totals=totals,
        form_size=form_size,
        levels=levels.astype(np.float64),
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
    pairs = (int(person_.max()) + 1) * n_items
    pair = person_ * n_items
    pair += item_
    index_bits = max(1, int(pair.size - 1).bit_length())
    if bool(np.all(order_[1:] >= order_[:-1])):
        # Entries in attempt order (as a recompute reads them): the first entry of a pair in
        # storage order is its earliest, so the pair alone is the sort key.
        if pairs.bit_length() + index_bits <= 62:
            # The index packed under the key: a plain int64 sort (SIMD) instead of an argsort,
            # in place (each temporary of this size is tens of megabytes).
            packed = pair << index_bits
            packed |= np.arange(pair.size, dtype=np.int64)
            packed.sort()
            ranked = packed & ((1 << index_bits) - 1)
            packed >>= index_bits
            sorted_pair = packed
        else:
            ranked = np.argsort(pair, kind="stable")
            sorted_pair = pair[ranked]
    else:
        # One int64 key sorts much faster than a lexsort of two; fall back when it would overflow.
        if pairs * n_order < 2**62:
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


# Bits of a packed entry below the scope: the option column, 0..BLANK.
_COLUMN_BITS = 3


@dataclass(frozen=True)
class RankedEntries:
    """Entries sorted by item, then rest score from the highest, one packed int64 each.

    From the high bits down a value holds the item column, the rest level counted from the
    highest (``levels`` holds the scores, ascending), the scope and the option column (A-D,
    then BLANK for unanswered). Entries of one item tied on rest are interchangeable for every
    statistic (each sum adds equal values either way), so the order within a tie does not
    matter; a scope's entries are a subset in the same order, which need no sort of their own.
    """

    packed: Ints
    levels: Floats
    n_items: int
    n_scopes: int
    level_bits: int
    scope_bits: int

    def scope(self, value: int) -> RankedEntries:
        """The entries of one scope, in the same order."""
        scope = (self.packed >> _COLUMN_BITS) & ((1 << self.scope_bits) - 1)
        return replace(self, packed=self.packed[scope == value])


def rank_entries(
    item: Any,
    choice: Any,
    rest_rank: Any,
    levels: Any,
    *,
    n_items: int,
    scope: Any = None,
    n_scopes: int = 1,
) -> RankedEntries:
    """Sort entries once for ``ranked_item_stats``; entries with ``rest_rank`` -1 are left out.

    :param item: item column of each entry, 0..n_items-1
    :param choice: stored option index of each entry, or -1 for unanswered
    :param rest_rank: index of each entry's rest score in ``levels``, or -1 to leave it out
    :param levels: the distinct rest scores, ascending, in [0, 1]
    :param scope: optional scope (0..n_scopes-1) of each entry, for ``RankedEntries.scope``
    """
    item_ = _as_ints(item, "item")
    choice_ = _as_ints(choice, "choice")
    rank = _as_ints(rest_rank, "rest_rank")
    scope_ = np.zeros(item_.size, np.int64) if scope is None else _as_ints(scope, "scope")
    levels_ = np.asarray(levels, dtype=np.float64)
    if not item_.size == choice_.size == rank.size == scope_.size:
        raise ValueError("item, choice, rest_rank and scope must have the same length")
    if levels_.ndim != 1 or not np.all((levels_ >= 0.0) & (levels_ <= 1.0)):
        raise ValueError("levels must be rest scores in [0, 1]")
    if np.any(levels_[1:] <= levels_[:-1]):
        raise ValueError("levels must be strictly ascending")
    if item_.size:
        if item_.min() < 0 or item_.max() >= n_items:
            raise ValueError(f"item columns must be in 0..{n_items - 1}")
        if choice_.min() < UNANSWERED or choice_.max() >= N_OPTIONS:
            raise ValueError(f"choices must be -1 (unanswered) or 0..{N_OPTIONS - 1}")
        if rank.min() < -1 or rank.max() >= levels_.size:
            raise ValueError(f"rest_rank must be -1 or in 0..{levels_.size - 1}")
        if scope_.min() < 0 or scope_.max() >= n_scopes:
            raise ValueError(f"scopes must be in 0..{n_scopes - 1}")
    level_bits = max(1, (levels_.size - 1).bit_length())
    scope_bits = max(0, n_scopes - 1).bit_length()
    item_bits = max(1, n_items - 1).bit_length()
    if item_bits + level_bits + scope_bits + _COLUMN_BITS > 63:
        raise ValueError("too many items x rest levels x scopes to rank in 63 bits")
    level_shift = scope_bits + _COLUMN_BITS
    # In place where possible: every temporary of this size is tens of megabytes.
    packed = item_ << (level_bits + level_shift)
    part = np.subtract(levels_.size - 1, rank)
    part <<= level_shift
    packed |= part
    np.left_shift(scope_, _COLUMN_BITS, out=part)
    packed |= part
    np.copyto(part, choice_)
    part[choice_ < 0] = BLANK
    packed |= part
    kept = packed[rank >= 0]
    # Sorting the packed values directly (SIMD) is several times faster than an argsort.
    kept.sort()
    return RankedEntries(kept, levels_, int(n_items), int(n_scopes), level_bits, scope_bits)


def item_stats(item: Any, choice: Any, rest: Any, keys: Any, *, rest_rank: Any = None) -> ItemStats:
    """Compute every item statistic (see the module docstring) for the given entries.

    :param item: item column of each counted entry (indexes ``keys``)
    :param choice: stored option index of each entry, or -1 for unanswered
    :param rest: each entry's rest-of-form score in [0, 1]
    :param keys: the key's stored option index of each item column
    :param rest_rank: optional exact ranks of ``rest`` (``Scored.rest_rank``), checked
    """
    item_ = _as_ints(item, "item")
    rest_ = np.asarray(rest, dtype=np.float64)
    if rest_.ndim != 1 or rest_.size != item_.size:
        raise ValueError("item, choice and rest must have the same length")
    if not np.all((rest_ >= 0.0) & (rest_ <= 1.0)):
        raise ValueError("rest scores must be in [0, 1] (leave out one-item forms)")
    if rest_rank is None:
        levels, inverse = np.unique(rest_, return_inverse=True)
        rank = inverse.astype(np.int64).ravel()
    else:
        given = _as_ints(rest_rank, "rest_rank")
        if given.size != item_.size:
            raise ValueError("rest_rank must have the same length as rest")
        if given.size and given.min() < 0:
            raise ValueError("rest_rank must be >= 0")
        used, rank = np.unique(given, return_inverse=True)
        rank = rank.astype(np.int64).ravel()
        levels = np.zeros(used.size)
        levels[rank] = rest_
        # The ranks must order the scores exactly, or groups and ties would be wrong.
        if np.any(levels[rank] != rest_) or np.any(levels[1:] <= levels[:-1]):
            raise ValueError("rest_rank does not order rest exactly")
    keys_ = _as_ints(keys, "keys")
    ranked = rank_entries(item_, choice, rank, levels, n_items=keys_.size)
    return ranked_item_stats(ranked, keys_)


def ranked_item_stats(ranked: RankedEntries, keys: Any) -> ItemStats:
    """Compute every item statistic (see the module docstring) of entries ranked once."""
    return scoped_item_stats(ranked, keys, scopes=False)[0]


def scoped_item_stats(
    ranked: RankedEntries, keys: Any, *, scopes: bool = True
) -> tuple[ItemStats, list[ItemStats]]:
    """Statistics of all the ranked entries and of each scope's (``ranked.n_scopes``).

    One pass over the entries: each chunk's shared arrays serve every scope, and a scope's
    entries are that chunk's entries of the scope, still in ranked order.
    """
    keys_ = _as_ints(keys, "keys")
    n_items = keys_.size
    if n_items != ranked.n_items:
        raise ValueError(f"keys must have one key per item column ({ranked.n_items})")
    if keys_.size and (keys_.min() < 0 or keys_.max() >= N_OPTIONS):
        raise ValueError(f"keys must be in 0..{N_OPTIONS - 1}")
    item_shift = ranked.level_bits + ranked.scope_bits + _COLUMN_BITS
    # Item i's entries are packed[bounds[i]:bounds[i + 1]]: the item is the sort's first key.
    bounds = np.searchsorted(ranked.packed, np.arange(n_items + 1, dtype=np.int64) << item_shift)
    n = np.diff(bounds).astype(np.int64)
    # With one scope, its statistics are those of all the entries.
    split = ranked.n_scopes if scopes and ranked.n_scopes > 1 else 0
    everything = _Sums.empty(n_items)
    parts = [_Sums.empty(n_items) for _ in range(split)]
    for first, last in _item_chunks(bounds):
        packed = ranked.packed[int(bounds[first]) : int(bounds[last])]
        # Equal exactly for entries of one item tied on rest: the tie blocks.
        key_s = packed >> (ranked.scope_bits + _COLUMN_BITS)
        item_s = (key_s >> ranked.level_bits) - first
        # A lookup in a small table of scores: exactly the floats that were ranked.
        rest_s = ranked.levels[::-1][key_s & ((1 << ranked.level_bits) - 1)]
        cell_s = item_s * (N_OPTIONS + 1) + (packed & ((1 << _COLUMN_BITS) - 1))
        chunk = _Chunk(key_s, item_s, rest_s, cell_s, n[first:last])
        _chunk_sums(chunk, keys_[first:last], everything, first)
        if split:
            scope = (packed >> _COLUMN_BITS) & ((1 << ranked.scope_bits) - 1)
            for value, sums in enumerate(parts):
                _chunk_sums(chunk.subset(scope == value), keys_[first:last], sums, first)
    stats = _item_stats_from_sums(everything, keys_)
    if not scopes:
        return stats, []
    if not split:
        return stats, [stats] * ranked.n_scopes
    return stats, [_item_stats_from_sums(sums, keys_) for sums in parts]


def _item_stats_from_sums(sums: _Sums, keys: Ints) -> ItemStats:
    """The statistics of the module docstring from the per-item (and option) sums."""
    rows = np.arange(keys.size)
    n = sums.n
    nf = n.astype(np.float64)
    per_item = nf[:, None]
    counts = sums.counts
    counts_f = counts.astype(np.float64)
    n1 = counts_f[rows, keys]
    facility = _divide(n1, nf)
    sd = np.sqrt(_divide(n1 * (nf - n1), nf * (nf - 1.0)))
    rest_ss = sums.rest_ss
    rest_ss[sums.constant] = 0.0
    option_ss = _divide(counts_f * (per_item - counts_f), np.broadcast_to(per_item, counts.shape))
    option_r = np.clip(_divide(sums.cross, np.sqrt(option_ss * rest_ss[:, None])), -1.0, 1.0)
    g = GROUP_SHARE * nf
    group = np.broadcast_to(g[:, None], counts.shape)
    option_upper = _divide(sums.upper, group)
    option_lower = _divide(sums.lower, group)
    # Largest covariance for these marginals: the N1 highest rest scores paired with the ones.
    defined = (n1 > 0) & (n1 < nf) & (rest_ss > 0.0)
    efficiency = _divide(sums.cross[rows, keys], np.where(defined, sums.top, 0.0))
    return ItemStats(
        keys=keys,
        responses=n,
        facility=facility,
        sd=sd,
        discrimination=option_r[rows, keys],
        efficiency=efficiency,
        upper=option_upper[rows, keys],
        lower=option_lower[rows, keys],
        group_size=g,
        option_count=counts,
        option_share=_divide(counts_f, np.broadcast_to(per_item, counts.shape)),
        option_upper=option_upper,
        option_lower=option_lower,
        option_r=option_r,
    )


# Entries per chunk of items: the temporaries of a chunk stay in the CPU cache, where passes
# over the whole population would each stream (and page-fault) tens of megabytes.
_CHUNK = 1 << 15


def _item_chunks(bounds: Ints) -> list[tuple[int, int]]:
    """Split the items into runs of about ``_CHUNK`` entries (a larger item runs alone)."""
    total = int(bounds[-1])
    cuts = np.searchsorted(bounds, np.arange(_CHUNK, total, _CHUNK, dtype=np.int64))
    edges = np.unique(np.concatenate(([0], cuts, [bounds.size - 1]))).tolist()
    return list(itertools.pairwise(edges))


@dataclass(frozen=True)
class _Chunk:
    """Ranked entries of a run of items: tie keys, items, rest, cells, entries per item."""

    key: Ints
    item: Ints
    rest: Floats
    cell: Ints
    n: Ints

    def subset(self, mask: Bools) -> _Chunk:
        """The entries where ``mask`` is set, in the same order."""
        item = self.item[mask]
        n = np.bincount(item, minlength=self.n.size).astype(np.int64)
        return _Chunk(self.key[mask], item, self.rest[mask], self.cell[mask], n)


@dataclass(frozen=True)
class _Sums:
    """Per item (and option column) sums over the ranked entries."""

    n: Ints
    counts: Ints
    cross: Floats
    upper: Floats
    lower: Floats
    rest_ss: Floats
    top: Floats
    constant: Bools

    @classmethod
    def empty(cls, n_items: int) -> _Sums:
        shape = (n_items, N_OPTIONS + 1)
        return cls(
            n=np.zeros(n_items, dtype=np.int64),
            counts=np.zeros(shape, dtype=np.int64),
            cross=np.zeros(shape),
            upper=np.zeros(shape),
            lower=np.zeros(shape),
            rest_ss=np.zeros(n_items),
            top=np.zeros(n_items),
            constant=np.ones(n_items, dtype=np.bool_),
        )


def _chunk_sums(chunk: _Chunk, keys: Ints, sums: _Sums, first: int) -> None:
    """Fill ``sums`` for the chunk's items; each sum adds its entries in ranked order."""
    columns = N_OPTIONS + 1
    n = chunk.n
    width = n.size
    last = first + width
    key_s, item_s, rest_s, cell_s = chunk.key, chunk.item, chunk.rest, chunk.cell
    nf = n.astype(np.float64)
    starts = np.concatenate(([0], np.cumsum(n)[:-1])).astype(np.int64)
    seen = n > 0
    sums.n[first:last] = n
    # Exactly constant rest scores (compared, not summed) have no variance at all.
    sums.constant[first:last][seen] = key_s[starts[seen]] == key_s[starts[seen] + n[seen] - 1]
    counts = np.bincount(cell_s, minlength=width * columns).reshape(width, columns)
    sums.counts[first:last] = counts
    # Centre rest scores per item first: sums of centred values keep full precision.
    rest_mean = _divide(_sum_by(item_s, rest_s, width), nf)
    centred = rest_s - rest_mean[item_s]
    sums.rest_ss[first:last] = _sum_by(item_s, centred * centred, width)
    sums.cross[first:last] = _sum_by(cell_s, centred, width * columns).reshape(width, columns)
    upper_w, lower_w = _block_weights(key_s, item_s, n)
    sums.upper[first:last] = _sum_by(cell_s, upper_w, width * columns).reshape(width, columns)
    sums.lower[first:last] = _sum_by(cell_s, lower_w, width * columns).reshape(width, columns)
    # The key's N1 highest rest scores (the first N1 entries of the item) give Cmax.
    n1 = counts[np.arange(width), keys]
    top = np.arange(item_s.size) < (starts + n1)[item_s]
    sums.top[first:last] = _sum_by(item_s, centred * top, width)


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


def slot_matrices(
    attempt: Any, position: Any, correct: Any, group: Any, n_groups: int
) -> list[tuple[Floats, int]]:
    """``slot_matrix`` of the entries of each group 0..n_groups-1 of attempts.

    :param attempt: attempt row of each entry, indexing ``group``
    :param group: group of each attempt row, or -1 for none

    When the entries are attempt after attempt, each the same k positions 1..k in order (how
    a recompute reads them), the matrices are rows of one reshaped array; otherwise each
    group's entries are picked and arranged by ``slot_matrix``.
    """
    attempt_ = _as_ints(attempt, "attempt")
    position_ = _as_ints(position, "position")
    correct_ = np.asarray(correct, dtype=np.bool_)
    group_ = _as_ints(group, "group")
    if not attempt_.size == position_.size == correct_.size:
        raise ValueError("attempt, position and correct must have the same length")
    if attempt_.size and (attempt_.min() < 0 or attempt_.max() >= group_.size):
        raise ValueError(f"attempt rows must be in 0..{group_.size - 1}")
    k = int(np.argmax(attempt_ != attempt_[0])) if attempt_.size else 0
    if attempt_.size and k == 0:
        k = attempt_.size  # one attempt only
    if k and attempt_.size % k == 0:
        rows = attempt_.reshape(-1, k)
        first = rows[:, 0]
        uniform = (
            bool(np.all(rows == first[:, None]))
            and bool(np.all(first[1:] > first[:-1]))
            and bool(np.all(position_.reshape(-1, k) == np.arange(1, k + 1)))
        )
        if uniform:
            marks = correct_.reshape(-1, k)
            label = group_[first]
            picked = [marks[label == g].astype(np.float64) for g in range(n_groups)]
            # As slot_matrix has it: no attempts, no slots.
            return [(m if m.shape[0] else np.zeros((0, 0)), 0) for m in picked]
    label = group_[attempt_]
    out = []
    for g in range(n_groups):
        chosen = label == g
        out.append(slot_matrix(attempt_[chosen], position_[chosen], correct_[chosen]))
    return out


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
