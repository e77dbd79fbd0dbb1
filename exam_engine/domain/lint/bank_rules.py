"""Rules over the whole bank: duplicate and near-duplicate stems, skewed letters and lengths."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from exam_engine.domain.bank import OPTION_LABELS, ItemRecord
from exam_engine.domain.lint.registry import Finding, bank_rule, finding
from exam_engine.domain.lint.text import SHINGLE_WORDS, shingles, similar_pairs, words_of

NEAR_DUPLICATE_JACCARD = 0.6
# Answer-letter balance: warn when a letter's share is this far from 1/4 and the skew is
# also unlikely by chance (chi-square, 3 degrees of freedom), checked from this many items.
SKEW_SHARE_DEVIATION = 0.10
SKEW_P_VALUE = 0.05
SKEW_MIN_ITEMS = 12
# The key's length among the four options, by how many distractors are shorter than it.
LENGTH_RANKS = ("shortest", "second shortest", "second longest", "longest")


def _normalized_stem(stem: str) -> str:
    return " ".join(words_of(stem))


@bank_rule("duplicate-stem", "no two items have the same stem (error)")
def check_duplicate_stems(items: Sequence[ItemRecord]) -> Iterator[Finding]:
    first: dict[str, ItemRecord] = {}
    for item in items:
        norm = _normalized_stem(item.stem)
        if not norm:
            continue
        if norm in first:
            other = first[norm]
            yield finding(
                item,
                "duplicate-stem",
                "error",
                f"the stem is the same as {other.key}'s ({other.source.file}:"
                f"{other.line_of('stem')})",
                "stem",
            )
        else:
            first[norm] = item


@bank_rule(
    "near-duplicate-stem",
    f"no two stems are near-duplicates (word {SHINGLE_WORDS}-shingle Jaccard >= "
    f"{NEAR_DUPLICATE_JACCARD}) (warning)",
)
def check_near_duplicate_stems(items: Sequence[ItemRecord]) -> Iterator[Finding]:
    normalized = [_normalized_stem(item.stem) for item in items]
    sets = [shingles(text) for text in normalized]
    for i, j, similarity in similar_pairs(sets, NEAR_DUPLICATE_JACCARD):
        if normalized[i] == normalized[j]:
            continue  # an exact duplicate: the duplicate-stem rule reports it
        first, second = items[i], items[j]
        yield finding(
            second,
            "near-duplicate-stem",
            "warning",
            f"the stem is {similarity:.0%} similar to {first.key}'s ({first.source.file}:"
            f"{first.line_of('stem')}): {second.key} and {first.key} may test the same thing",
            "stem",
        )


def chi_square_p_value_3df(statistic: float) -> float:
    """Return P(X >= statistic) for a chi-square variable with 3 degrees of freedom."""
    if statistic <= 0:
        return 1.0
    half = statistic / 2
    return math.erfc(math.sqrt(half)) + math.sqrt(2 * statistic / math.pi) * math.exp(-half)


def share_skew(
    values: Sequence[str], categories: Sequence[str]
) -> tuple[dict[str, int], float, float] | None:
    """Return (count per category, largest share deviation from even, chi-square p-value)."""
    if not values:
        return None
    total = len(values)
    counts = {category: values.count(category) for category in categories}
    expected = total / len(categories)
    statistic = sum((n - expected) ** 2 / expected for n in counts.values())
    deviation = max(abs(n / total - 1 / len(categories)) for n in counts.values())
    return counts, deviation, chi_square_p_value_3df(statistic)


def _four_options(item: ItemRecord) -> bool:
    return len(item.options) == len(OPTION_LABELS) and 0 <= item.answer < len(item.options)


def answer_skew(items: Sequence[ItemRecord]) -> tuple[dict[str, int], float, float] | None:
    """Return (counts per letter, largest share deviation from 1/4, p-value) or None."""
    return share_skew([item.answer_label for item in items if _four_options(item)], OPTION_LABELS)


def key_length_rank(item: ItemRecord) -> str:
    """Where the key's length falls among the options: how many distractors are shorter."""
    key_len = len(item.options[item.answer].strip())
    shorter = sum(
        len(text.strip()) < key_len for i, text in enumerate(item.options) if i != item.answer
    )
    return LENGTH_RANKS[shorter]


def _file_and_bank_groups(
    items: Sequence[ItemRecord],
) -> list[tuple[str, str, Sequence[ItemRecord]]]:
    """Each file's items, and the whole bank when it spans several files."""
    by_file: dict[str, list[ItemRecord]] = defaultdict(list)
    for item in items:
        by_file[item.source.file].append(item)
    groups: list[tuple[str, str, Sequence[ItemRecord]]] = [
        (file, f"in {file}", group) for file, group in by_file.items()
    ]
    if len(by_file) > 1:
        groups.append(("<bank>", "over the bank", items))
    return groups


def _skew_findings(
    items: Sequence[ItemRecord],
    rule: str,
    classify: Callable[[ItemRecord], str],
    categories: Sequence[str],
    describe: str,
) -> Iterator[Finding]:
    for file, where, group in _file_and_bank_groups(items):
        if len(group) < SKEW_MIN_ITEMS:
            continue
        skew = share_skew([classify(item) for item in group if _four_options(item)], categories)
        if skew is None:
            continue
        counts, deviation, p_value = skew
        if deviation > SKEW_SHARE_DEVIATION and p_value < SKEW_P_VALUE:
            total = sum(counts.values())
            shares = ", ".join(f"{label} {n} ({n / total:.0%})" for label, n in counts.items())
            line = min(item.source.line for item in group) if file != "<bank>" else 0
            message = f"{describe} {where}: {shares}; aim for about a quarter each"
            yield Finding("", file, line, rule, "warning", message)


@bank_rule(
    "answer-balance",
    "answer letters are not badly skewed, per file and over the bank: a letter more than "
    f"{SKEW_SHARE_DEVIATION:.0%} from a quarter, unlikely by chance (warning)",
)
def check_answer_balance(items: Sequence[ItemRecord]) -> Iterator[Finding]:
    yield from _skew_findings(
        items,
        "answer-balance",
        lambda item: item.answer_label,
        OPTION_LABELS,
        "answer letters are skewed",
    )


@bank_rule(
    "key-length-rank",
    "the key is not usually the shortest option, nor seldom the longest, per file and over the "
    f"bank: a length rank more than {SKEW_SHARE_DEVIATION:.0%} from a quarter, unlikely by "
    "chance (warning); test-wise candidates learn such habits",
)
def check_key_length_rank(items: Sequence[ItemRecord]) -> Iterator[Finding]:
    yield from _skew_findings(
        items,
        "key-length-rank",
        key_length_rank,
        LENGTH_RANKS,
        "the key's length rank among the options is skewed",
    )
