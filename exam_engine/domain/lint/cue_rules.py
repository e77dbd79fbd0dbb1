"""Lint rules against surface cues: the key must not be told apart by its form.

Per item, the key may not be the odd one out in a form a candidate reads without knowledge
(the only option with two parts, or the only one without; the only one with a justification
clause or an absolute, or the only one without). Over the bank, each form must be as common
in keys as in distractors. ``testwise`` measures what such habits are worth to a guesser.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from exam_engine.domain import wording
from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.lint.registry import Finding, bank_rule, finding, item_rule

# Forms judged item by item; hedges, negations and drastic moves are judged over the bank.
ITEM_FORMS: tuple[str, ...] = ("two_part", "justification", "absolute")
# Over the bank: an error when keys and distractors differ by more than this share ...
FORM_SHARE_GAP = 0.08
# ... and the difference is this unlikely by chance (two-proportion z-test), from this many items.
FORM_P_VALUE = 0.001
FORM_MIN_ITEMS = 30


def _four(item: ItemRecord) -> bool:
    return len(item.options) == 4 and 0 <= item.answer < 4


@item_rule(
    "form-asymmetry",
    "the key is not the odd one out in form: the only option with (or without) two parts, "
    "a justification clause or an absolute (warning)",
)
def check_form_asymmetry(item: ItemRecord) -> Iterator[Finding]:
    if not _four(item):
        return
    key_has = wording.Form.of(item.options[item.answer]).as_dict()
    for name in wording.odd_feature(item.options, item.answer):
        if name not in ITEM_FORMS:
            continue
        side = "the only option with" if key_has[name] else "the only option without"
        yield finding(
            item,
            "form-asymmetry",
            "warning",
            f"the key ({item.answer_label}) is {side} {wording.FEATURE_LABELS[name]}: "
            "give a distractor the same form, or none",
            f"options.{item.answer_label}",
        )


def two_proportion_p(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    """Two-sided p-value that two shares differ (pooled z-test); 1.0 when undefined."""
    if n_a == 0 or n_b == 0:
        return 1.0
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if spread == 0:
        return 1.0
    z = abs(hits_a / n_a - hits_b / n_b) / spread
    return math.erfc(z / math.sqrt(2))


def form_shares(items: Sequence[ItemRecord]) -> dict[str, tuple[float, float, float]]:
    """Per form: (share of keys with it, share of distractors with it, p-value of the gap)."""
    pool = [item for item in items if _four(item)]
    result: dict[str, tuple[float, float, float]] = {}
    keys = len(pool)
    distractors = 3 * keys
    forms = [[wording.Form.of(text).as_dict() for text in item.options] for item in pool]
    for name in wording.FORM_FEATURES:
        key_hits = sum(form[item.answer][name] for item, form in zip(pool, forms, strict=True))
        other_hits = sum(
            form[i][name]
            for item, form in zip(pool, forms, strict=True)
            for i in range(4)
            if i != item.answer
        )
        if keys:
            result[name] = (
                key_hits / keys,
                other_hits / distractors,
                two_proportion_p(key_hits, keys, other_hits, distractors),
            )
    return result


@bank_rule(
    "form-balance",
    "over the bank, each form (two parts, justification, absolute, hedge, negation, drastic "
    f"move) is as common in keys as in distractors: a gap over {FORM_SHARE_GAP:.0%} that "
    f"chance explains with p < {FORM_P_VALUE} is an error (from {FORM_MIN_ITEMS} items)",
)
def check_form_balance(items: Sequence[ItemRecord]) -> Iterator[Finding]:
    if sum(_four(item) for item in items) < FORM_MIN_ITEMS:
        return
    for name, (keys, others, p_value) in form_shares(items).items():
        if abs(keys - others) > FORM_SHARE_GAP and p_value < FORM_P_VALUE:
            yield Finding(
                "",
                "<bank>",
                0,
                "form-balance",
                "error",
                f"{keys:.0%} of keys but {others:.0%} of distractors have "
                f"{wording.FEATURE_LABELS[name]} over the bank: a guesser learns to "
                f"{'pick' if keys > others else 'avoid'} that form; rewrite options until "
                "the shares meet",
            )
