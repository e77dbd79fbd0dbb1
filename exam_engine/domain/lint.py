"""Item-writing lint: ISACA-style rules over validated items, as errors and warnings.

Each rule is a small function registered in :data:`RULES` under its name, either per item
(:func:`item_rule`) or over the whole bank (:func:`bank_rule`). Adding a rule is writing one
function with one decorator; ``question_bank/README.md`` lists them for item writers.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from exam_engine.domain.bank import OPTION_LABELS, ItemRecord

Level = Literal["error", "warning"]

QUALIFIERS: tuple[str, ...] = (
    "BEST",
    "MOST",
    "FIRST",
    "PRIMARY",
    "GREATEST",
    "MOST LIKELY",
    "MOST IMPORTANT",
    "NEXT",
    "MAIN",
)
ABSOLUTES: tuple[str, ...] = (
    "always",
    "never",
    "guarantee",
    "guarantees",
    "guaranteed",
    "completely",
    "entirely",
    "impossible",
    "totally",
    "none",
    "every",
    "in all cases",
)
MIN_RATIONALE_CHARS = 20
KEY_LENGTH_RATIO = 1.25
KEY_LENGTH_MARGIN = 15
NEAR_DUPLICATE_JACCARD = 0.6
SHINGLE_WORDS = 3
# Answer-letter balance: warn when a letter's share is this far from 1/4 and the skew is
# also unlikely by chance (chi-square, 3 degrees of freedom), checked from this many items.
SKEW_SHARE_DEVIATION = 0.10
SKEW_P_VALUE = 0.05
SKEW_MIN_ITEMS = 12
# The key's length among the four options, by how many distractors are shorter than it.
LENGTH_RANKS = ("shortest", "second shortest", "second longest", "longest")


@dataclass(frozen=True)
class Finding:
    """One lint result for an item (or for a file or the bank, with an empty key)."""

    key: str
    file: str
    line: int
    rule: str
    level: Level
    message: str

    def __str__(self) -> str:
        subject = f"{self.key}: " if self.key else ""
        return f"{self.file}:{self.line}: {self.level} [{self.rule}] {subject}{self.message}"


BankCheck = Callable[[Sequence[ItemRecord]], Iterable[Finding]]
ItemCheck = Callable[[ItemRecord], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A registered lint rule: its name, what it checks, and the check over a bank."""

    name: str
    summary: str
    check: BankCheck


RULES: dict[str, Rule] = {}


def bank_rule(name: str, summary: str) -> Callable[[BankCheck], BankCheck]:
    """Register a rule that looks at the whole bank at once."""

    def register(check: BankCheck) -> BankCheck:
        if name in RULES:
            raise ValueError(f"lint rule {name!r} is already registered")
        RULES[name] = Rule(name, summary, check)
        return check

    return register


def item_rule(name: str, summary: str) -> Callable[[ItemCheck], ItemCheck]:
    """Register a rule that looks at one item at a time."""

    def register(check: ItemCheck) -> ItemCheck:
        def over_bank(items: Sequence[ItemRecord]) -> Iterator[Finding]:
            for item in items:
                yield from check(item)

        bank_rule(name, summary)(over_bank)
        return check

    return register


def finding(item: ItemRecord, rule: str, level: Level, message: str, at: str = "") -> Finding:
    """Build a finding for an item, located at a field such as ``stem`` or ``options.B``."""
    line = item.line_of(at) if at else item.source.line
    return Finding(item.key, item.source.file, line, rule, level, message)


def lint(items: Sequence[ItemRecord], rules: Iterable[str] | None = None) -> list[Finding]:
    """Run the lint rules (all, or the named ones) and return findings by file and line."""
    names = list(RULES) if rules is None else list(rules)
    unknown = [name for name in names if name not in RULES]
    if unknown:
        raise ValueError(f"unknown lint rules {unknown}; known: {', '.join(RULES)}")
    found: list[Finding] = []
    for name in names:
        found.extend(RULES[name].check(items))
    return sorted(found, key=lambda f: (f.file, f.line, f.key, f.rule, f.message))


def summarize(findings: Iterable[Finding]) -> dict[str, int]:
    """Count findings as ``{"errors": n, "warnings": n}``."""
    counts = Counter(f.level for f in findings)
    return {"errors": counts["error"], "warnings": counts["warning"]}


def count_by_rule(findings: Iterable[Finding]) -> dict[str, dict[str, int]]:
    """Count findings per rule and level, e.g. ``{"absolutes": {"warning": 3}}``."""
    counts: dict[str, dict[str, int]] = {}
    for f in findings:
        per_rule = counts.setdefault(f.rule, {})
        per_rule[f.level] = per_rule.get(f.level, 0) + 1
    return dict(sorted(counts.items()))


# --- text helpers -------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[\"'(\[]?[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")


def question_sentence(stem: str) -> str:
    """Return the stem's last sentence: the question (or incomplete statement) it asks.

    Scenario sentences before it may say "not" freely; only the question can be negative.
    """
    sentences = [s for s in _SENTENCE_END.split(stem.strip()) if s.strip()]
    return sentences[-1].strip() if sentences else ""


def _label(index: int) -> str:
    return OPTION_LABELS[index] if index < len(OPTION_LABELS) else str(index + 1)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


# --- per-item rules -----------------------------------------------------------------------


@item_rule("option-count", "an item has exactly four distinct options (error)")
def check_option_count(item: ItemRecord) -> Iterator[Finding]:
    if len(item.options) != len(OPTION_LABELS):
        yield finding(
            item,
            "option-count",
            "error",
            f"has {len(item.options)} options; ISACA items have exactly four (A-D)",
            "options",
        )
    seen: dict[str, int] = {}
    for index, text in enumerate(item.options):
        norm = " ".join(_words(text))
        if norm in seen:
            yield finding(
                item,
                "option-count",
                "error",
                f"options {_label(seen[norm])} and {_label(index)} say the same thing",
                f"options.{_label(index)}",
            )
        else:
            seen[norm] = index


@item_rule("single-key", "exactly one option is the key (error)")
def check_single_key(item: ItemRecord) -> Iterator[Finding]:
    if not 0 <= item.answer < len(item.options):
        yield finding(
            item,
            "single-key",
            "error",
            f"the answer points at option {item.answer + 1}, which does not exist: no key",
            "answer",
        )
        return
    key_text = " ".join(_words(item.options[item.answer]))
    for index, text in enumerate(item.options):
        if index != item.answer and " ".join(_words(text)) == key_text:
            yield finding(
                item,
                "single-key",
                "error",
                f"option {_label(index)} repeats the key {item.answer_label}: two keys",
                f"options.{_label(index)}",
            )


_ALL_NONE = re.compile(
    r"\b(?:all|none|both|neither) of (?:the )?(?:above|these|the options)\b", re.IGNORECASE
)


@item_rule("all-none-above", "no 'all of the above' or 'none of the above' options (error)")
def check_all_none_above(item: ItemRecord) -> Iterator[Finding]:
    for index, text in enumerate(item.options):
        match = _ALL_NONE.search(text)
        if match:
            yield finding(
                item,
                "all-none-above",
                "error",
                f"option {_label(index)} uses {match.group(0)!r}; write a real alternative",
                f"options.{_label(index)}",
            )


# "at least" and "least privilege" are not negations.
_NEGATIVE = re.compile(
    r"(?<!\bat )\b(not|except|least)\b(?![\s-]+(?:privilege|privileged|functionality)\b)",
    re.IGNORECASE,
)


@item_rule(
    "negative-stem",
    "the question is not negative (NOT/EXCEPT/LEAST): lower case is an error, capitals a warning",
)
def check_negative_stem(item: ItemRecord) -> Iterator[Finding]:
    match = _NEGATIVE.search(question_sentence(item.stem))
    if match is None:
        return
    word = match.group(1)
    if word.isupper():
        yield finding(
            item,
            "negative-stem",
            "warning",
            f"negative stem ({word}): avoid negatives; ask for the BEST option instead",
            "stem",
        )
    else:
        yield finding(
            item,
            "negative-stem",
            "error",
            f"negative stem {word!r} without emphasis: rephrase positively "
            f"(or at least write {word.upper()})",
            "stem",
        )


_ABSOLUTE = re.compile(
    r"\b(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ABSOLUTES) + r")\b",
    re.IGNORECASE,
)


@item_rule("absolutes", "options avoid absolutes such as always, never, guarantee (warning)")
def check_absolutes(item: ItemRecord) -> Iterator[Finding]:
    for index, text in enumerate(item.options):
        words = sorted({m.group(0).lower() for m in _ABSOLUTE.finditer(text)})
        if words:
            yield finding(
                item,
                "absolutes",
                "warning",
                f"option {_label(index)} uses the absolute {', '.join(map(repr, words))}; "
                "test-wise candidates rule such options out",
                f"options.{_label(index)}",
            )


@item_rule(
    "key-length-cue",
    f"the key is not markedly longer than every distractor (> {KEY_LENGTH_RATIO}x the "
    f"longest and {KEY_LENGTH_MARGIN}+ characters longer) (warning)",
)
def check_key_length(item: ItemRecord) -> Iterator[Finding]:
    if not 0 <= item.answer < len(item.options) or len(item.options) < 2:
        return
    key_len = len(item.options[item.answer].strip())
    longest = max(len(t.strip()) for i, t in enumerate(item.options) if i != item.answer)
    if key_len > KEY_LENGTH_RATIO * longest and key_len - longest >= KEY_LENGTH_MARGIN:
        yield finding(
            item,
            "key-length-cue",
            "warning",
            f"the key ({item.answer_label}, {key_len} characters) is markedly longer than "
            f"every distractor (longest {longest}): length gives it away",
            f"options.{item.answer_label}",
        )


@item_rule(
    "rationale",
    f"every option has a rationale of at least {MIN_RATIONALE_CHARS} characters (error)",
)
def check_rationale(item: ItemRecord) -> Iterator[Finding]:
    for index in range(len(item.options)):
        label = _label(index)
        text = item.rationales[index].strip() if index < len(item.rationales) else ""
        if not text:
            yield finding(
                item, "rationale", "error", f"no rationale for option {label}", "rationale"
            )
        elif len(text) < MIN_RATIONALE_CHARS:
            yield finding(
                item,
                "rationale",
                "error",
                f"the rationale for option {label} is trivially short ({len(text)} characters):"
                " say why it is the BEST answer or why it is weaker",
                f"rationale.{label}",
            )


_QUALIFIER = re.compile(r"\b(?:" + "|".join(sorted(QUALIFIERS, key=len, reverse=True)) + r")\b")
_QUALIFIER_ANY_CASE = re.compile(_QUALIFIER.pattern, re.IGNORECASE)


@item_rule(
    "qualifier",
    "the stem carries a capitalised qualifier: " + ", ".join(QUALIFIERS) + " (error)",
)
def check_qualifier(item: ItemRecord) -> Iterator[Finding]:
    # Every item in this engine is single-best-answer, so every stem needs its qualifier.
    if _QUALIFIER.search(item.stem):
        return
    lower = _QUALIFIER_ANY_CASE.search(question_sentence(item.stem))
    hint = (
        f"; write {lower.group(0)!r} in capitals ({lower.group(0).upper()})"
        if lower
        else "; ask for the BEST, MOST, FIRST ... option"
    )
    yield finding(
        item,
        "qualifier",
        "error",
        "the stem has no capitalised qualifier" + hint,
        "stem",
    )


# --- bank rules ---------------------------------------------------------------------------


def _normalized_stem(stem: str) -> str:
    return " ".join(_words(stem))


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


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """Return the text's word ``size``-grams (the whole text when it is shorter)."""
    words = _words(text)
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
