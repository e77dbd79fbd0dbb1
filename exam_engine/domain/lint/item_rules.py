"""Rules that look at one item at a time: options, key, stem, rationales, qualifiers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from exam_engine.domain.bank import OPTION_LABELS, ItemRecord
from exam_engine.domain.lint.registry import Finding, finding, item_rule, option_label
from exam_engine.domain.lint.text import question_sentence, words_of

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
        norm = " ".join(words_of(text))
        if norm in seen:
            yield finding(
                item,
                "option-count",
                "error",
                f"options {option_label(seen[norm])} and {option_label(index)} say the same thing",
                f"options.{option_label(index)}",
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
    key_text = " ".join(words_of(item.options[item.answer]))
    for index, text in enumerate(item.options):
        if index != item.answer and " ".join(words_of(text)) == key_text:
            yield finding(
                item,
                "single-key",
                "error",
                f"option {option_label(index)} repeats the key {item.answer_label}: two keys",
                f"options.{option_label(index)}",
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
                f"option {option_label(index)} uses {match.group(0)!r}; write a real alternative",
                f"options.{option_label(index)}",
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
                f"option {option_label(index)} uses the absolute {', '.join(map(repr, words))}; "
                "test-wise candidates rule such options out",
                f"options.{option_label(index)}",
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
        label = option_label(index)
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
