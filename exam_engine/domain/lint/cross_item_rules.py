"""Lint rules across items: one item giving another away, two items testing the same idea.

- ``key-in-stem``: an item's key (its distinctive words, weighted by how rare they are in the
  bank) is stated in another item's stem. A candidate who meets that stem first is handed the
  key. The pair must be enemies (never on the same form) or be rewritten.
- ``shared-key-idea``: two items' keys say nearly the same thing; unless they are enemies, a
  form may hold both, and one answer scores twice.
- ``near-duplicate-item``: two items whose whole text (stem and options) is nearly the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from exam_engine.domain import wording
from exam_engine.domain.bank import ItemRecord, enemy_graph
from exam_engine.domain.lint.registry import Finding, bank_rule, finding
from exam_engine.domain.lint.text import shingles, similar_pairs

# An item's key is "in" another stem when the stem holds this share of the key's word weight ...
KEY_IN_STEM_SHARE = 0.75
# ... and at least this many of its distinctive words.
KEY_IN_STEM_WORDS = 3
SHARED_KEY_JACCARD = 0.6
NEAR_DUPLICATE_ITEM_JACCARD = 0.5
# Words too common in this field to carry a key's idea.
GENERIC = frozenset(
    wording.normalise(w)
    for w in """ai model models system systems data security risk risks organisation
    organization company team use using used new based existing current""".split()
)


def _idf(items: Sequence[ItemRecord]) -> dict[str, float]:
    return wording.inverse_document_frequency(
        wording.content_words(" ".join((item.stem, *item.options))) for item in items
    )


def _key_words(item: ItemRecord) -> set[str]:
    return wording.content_words(item.options[item.answer]) - GENERIC


def _usable(item: ItemRecord) -> bool:
    return len(item.options) == 4 and 0 <= item.answer < 4


def key_in_stem_pairs(items: Sequence[ItemRecord]) -> list[tuple[int, int, float]]:
    """(key item, stem item, share of the key's weight in that stem), enemies left out."""
    pool = [i for i, item in enumerate(items) if _usable(item)]
    idf = _idf([items[i] for i in pool])
    enemies = enemy_graph(items)
    stems = {i: wording.content_words(items[i].stem) for i in pool}
    holders: dict[str, list[int]] = defaultdict(list)
    for i, words in stems.items():
        for word in words:
            holders[word].append(i)
    pairs: list[tuple[int, int, float]] = []
    for i in pool:
        words = _key_words(items[i])
        if len(words) < KEY_IN_STEM_WORDS:
            continue
        # Every key word is in the idf (the key's item is in the pool), and weighs at least 1.
        total = sum(idf[w] for w in words)
        found: dict[int, list[str]] = defaultdict(list)
        for word in words:
            for j in holders.get(word, ()):
                if j != i:
                    found[j].append(word)
        for j, shared in found.items():
            if len(shared) < KEY_IN_STEM_WORDS:
                continue
            if items[j].key in enemies[items[i].key]:
                continue
            share = sum(idf[w] for w in shared) / total
            if share >= KEY_IN_STEM_SHARE:
                pairs.append((i, j, share))
    return pairs


@bank_rule(
    "key-in-stem",
    f"no item's key is stated in another item's stem ({KEY_IN_STEM_SHARE:.0%} of the key's "
    "rarity-weighted words) unless the two are enemies (error)",
)
def check_key_in_stem(items: Sequence[ItemRecord]) -> Iterator[Finding]:
    for i, j, share in key_in_stem_pairs(items):
        keyed, stem = items[i], items[j]
        yield finding(
            keyed,
            "key-in-stem",
            "error",
            f"{stem.key}'s stem ({stem.source.file}:{stem.line_of('stem')}) states this item's "
            f"key ({share:.0%} of its distinctive words): make them enemies or rewrite one",
            f"options.{keyed.answer_label}",
        )


def _pairs_by_text(
    items: Sequence[ItemRecord], texts: Sequence[str], threshold: float
) -> Iterator[tuple[ItemRecord, ItemRecord, float]]:
    enemies = enemy_graph(items)
    for i, j, similarity in similar_pairs([shingles(t) for t in texts], threshold):
        first, second = items[i], items[j]
        if second.key in enemies[first.key]:
            continue
        yield first, second, similarity


@bank_rule(
    "shared-key-idea",
    f"two items' keys are not near-duplicates (word 1-shingle Jaccard >= "
    f"{SHARED_KEY_JACCARD}) unless the two are enemies (warning)",
)
def check_shared_key_idea(items: Sequence[ItemRecord]) -> Iterator[Finding]:
    usable = [item for item in items if _usable(item)]
    texts = [" ".join(sorted(_key_words(item))) for item in usable]
    enemies = enemy_graph(usable)
    sets = [frozenset(t.split()) for t in texts]
    for i, j, similarity in similar_pairs(sets, SHARED_KEY_JACCARD):
        first, second = usable[i], usable[j]
        if len(sets[i]) < 3 or second.key in enemies.get(first.key, frozenset()):
            continue
        yield finding(
            second,
            "shared-key-idea",
            "warning",
            f"its key says nearly what {first.key}'s key says ({similarity:.0%} alike): one "
            "answer would score twice on a form holding both; make them enemies or vary one",
            f"options.{second.answer_label}",
        )


@bank_rule(
    "near-duplicate-item",
    f"no two items are near-duplicates in stem and options together (word 3-shingle "
    f"Jaccard >= {NEAR_DUPLICATE_ITEM_JACCARD}) unless they are enemies (warning)",
)
def check_near_duplicate_items(items: Sequence[ItemRecord]) -> Iterator[Finding]:
    texts = [" ".join((item.stem, *item.options)).casefold() for item in items]
    for first, second, similarity in _pairs_by_text(items, texts, NEAR_DUPLICATE_ITEM_JACCARD):
        yield finding(
            second,
            "near-duplicate-item",
            "warning",
            f"stem and options are {similarity:.0%} alike {first.key}'s "
            f"({first.source.file}:{first.line_of('stem')}): the two test the same thing",
            "stem",
        )
