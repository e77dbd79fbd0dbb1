"""Text helpers of the lint rules: the question sentence, words, shingles and similar pairs."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

SHINGLE_WORDS = 3

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[\"'(\[]?[A-Z])")


_WORD = re.compile(r"[a-z0-9]+")


def question_sentence(stem: str) -> str:
    """Return the stem's last sentence: the question (or incomplete statement) it asks.

    Scenario sentences before it may say "not" freely; only the question can be negative.
    """
    sentences = [s for s in _SENTENCE_END.split(stem.strip()) if s.strip()]
    return sentences[-1].strip() if sentences else ""


def words_of(text: str) -> list[str]:
    """Lower-cased words and numbers of a text."""
    return _WORD.findall(text.casefold())


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """Return the text's word ``size``-grams (the whole text when it is shorter)."""
    words = words_of(text)
    if len(words) <= size:
        return frozenset({" ".join(words)}) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Return |a & b| / |a | b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def similar_pairs(sets: Sequence[frozenset[str]], threshold: float) -> list[tuple[int, int, float]]:
    """Return every pair ``(i, j, similarity)`` with i < j and Jaccard >= threshold.

    Exact, without comparing all pairs: an all-pairs set-similarity join with prefix
    filtering. Tokens are ordered rarest first; if J(r, s) >= t then r and s share at least
    ceil(t * |r|) tokens, so they share one among the first |r| - ceil(t * |r|) + 1 tokens of
    each (their prefixes). Only prefixes are indexed, and they hold rare tokens, so the
    candidate pairs stay few; a size filter (t * |r| <= |s|) prunes more before verifying.
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    frequency: Counter[str] = Counter(token for s in sets for token in s)
    order = sorted((i for i in range(len(sets)) if sets[i]), key=lambda i: (len(sets[i]), i))
    index: dict[str, list[int]] = defaultdict(list)
    results: list[tuple[int, int, float]] = []
    for i in order:
        tokens = sorted(sets[i], key=lambda token: (frequency[token], token))
        size = len(tokens)
        # The epsilon only ever lengthens the prefix, which keeps the join exact.
        prefix = size - math.ceil(threshold * size - 1e-9) + 1
        candidates: set[int] = set()
        for token in tokens[:prefix]:
            for j in index[token]:
                # j was indexed earlier, so |s_j| <= |s_i|; too small a set cannot reach t.
                if len(sets[j]) >= threshold * size - 1e-9:
                    candidates.add(j)
            index[token].append(i)
        for j in candidates:
            similarity = jaccard(sets[i], sets[j])
            if similarity >= threshold:
                results.append((min(i, j), max(i, j), similarity))
    return sorted(results)
