"""Item and option statistics over ranked entries: facility, discrimination, 27% groups."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from exam_engine.domain.item_analysis import base
from exam_engine.domain.item_analysis.base import Bools, Floats, Ints, as_ints


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
    g = base.GROUP_SHARE * n_block
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
    then base.BLANK for unanswered). Entries of one item tied on rest are interchangeable for every
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
    item_ = as_ints(item, "item")
    choice_ = as_ints(choice, "choice")
    rank = as_ints(rest_rank, "rest_rank")
    scope_ = np.zeros(item_.size, np.int64) if scope is None else as_ints(scope, "scope")
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
        if choice_.min() < base.UNANSWERED or choice_.max() >= base.N_OPTIONS:
            raise ValueError(f"choices must be -1 (unanswered) or 0..{base.N_OPTIONS - 1}")
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
    part[choice_ < 0] = base.BLANK
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
    item_ = as_ints(item, "item")
    rest_ = np.asarray(rest, dtype=np.float64)
    if rest_.ndim != 1 or rest_.size != item_.size:
        raise ValueError("item, choice and rest must have the same length")
    if not np.all((rest_ >= 0.0) & (rest_ <= 1.0)):
        raise ValueError("rest scores must be in [0, 1] (leave out one-item forms)")
    if rest_rank is None:
        levels, inverse = np.unique(rest_, return_inverse=True)
        rank = inverse.astype(np.int64).ravel()
    else:
        given = as_ints(rest_rank, "rest_rank")
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
    keys_ = as_ints(keys, "keys")
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
    keys_ = as_ints(keys, "keys")
    n_items = keys_.size
    if n_items != ranked.n_items:
        raise ValueError(f"keys must have one key per item column ({ranked.n_items})")
    if keys_.size and (keys_.min() < 0 or keys_.max() >= base.N_OPTIONS):
        raise ValueError(f"keys must be in 0..{base.N_OPTIONS - 1}")
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
        cell_s = item_s * (base.N_OPTIONS + 1) + (packed & ((1 << _COLUMN_BITS) - 1))
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
    g = base.GROUP_SHARE * nf
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
        shape = (n_items, base.N_OPTIONS + 1)
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
    columns = base.N_OPTIONS + 1
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


def distractor_columns(keys: Ints) -> Bools:
    """(items, 5) mask of the distractor columns: options A-D other than the key."""
    mask = np.zeros((keys.size, base.N_OPTIONS + 1), dtype=np.bool_)
    mask[:, : base.N_OPTIONS] = True
    mask[np.arange(keys.size), keys] = False
    return mask
