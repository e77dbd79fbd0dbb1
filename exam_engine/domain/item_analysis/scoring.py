"""Marks and rest scores of entries, and which entries are first exposures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from exam_engine.domain.item_analysis import base
from exam_engine.domain.item_analysis.base import Bools, Floats, Ints, as_ints


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


def score_entries(attempt: Any, item: Any, choice: Any, keys: Any, n_attempts: int) -> Scored:
    """Mark each entry against its item's key and give it the rest-of-form score.

    :param attempt: attempt row (0..n_attempts-1) of each entry
    :param item: item column of each entry, indexing ``keys``
    :param choice: stored option index of each entry, or -1 for unanswered
    :param keys: the key's stored option index of each item column
    """
    attempt_ = as_ints(attempt, "attempt")
    item_ = as_ints(item, "item")
    choice_ = as_ints(choice, "choice")
    keys_ = as_ints(keys, "keys")
    if not attempt_.size == item_.size == choice_.size:
        raise ValueError("attempt, item and choice must have the same length")
    if attempt_.size:
        if attempt_.min() < 0 or attempt_.max() >= n_attempts:
            raise ValueError(f"attempt rows must be in 0..{n_attempts - 1}")
        if item_.min() < 0 or item_.max() >= keys_.size:
            raise ValueError(f"item columns must be in 0..{keys_.size - 1}")
        if choice_.min() < base.UNANSWERED or choice_.max() >= base.N_OPTIONS:
            raise ValueError(f"choices must be -1 (unanswered) or 0..{base.N_OPTIONS - 1}")
    if keys_.size and (keys_.min() < 0 or keys_.max() >= base.N_OPTIONS):
        raise ValueError(f"keys must be in 0..{base.N_OPTIONS - 1}")
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
    person_ = as_ints(person, "person")
    item_ = as_ints(item, "item")
    order_ = as_ints(order, "order")
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
