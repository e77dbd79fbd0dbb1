"""Lint across items: when one item's stem gives another's key away, and near-duplicate items."""

from __future__ import annotations

import math

import pytest

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.lint.cross_item_rules import (
    check_key_in_stem,
    check_near_duplicate_items,
    key_in_stem_pairs,
)
from tests.unit.test_lint import LINES, make_item

DISTRACTORS = ("Publish a notice to regulators", "Hire an outside auditor", "Buy insurance cover")
# Five distinctive words: rotate, sign(ing), key(s), held, vendor.
ROTATE_KEYS = "Rotate signing keys held by the vendor"


def keyed(key: str, stem: str, key_text: str, answer: int = 1, **changes: object) -> ItemRecord:
    """An item whose key (at ``answer``) is ``key_text``, among three unrelated distractors."""
    options = list(DISTRACTORS)
    options.insert(answer, key_text)
    return make_item(key, stem=stem, options=tuple(options), answer=answer, **changes)


def plain(key: str, stem: str, **changes: object) -> ItemRecord:
    """An item whose own key is too short to be stated anywhere."""
    return keyed(key, stem, "Do nothing yet", **changes)


KEYED = keyed("D2-C-001", "A bank outsources its approvals. Which step is BEST?", ROTATE_KEYS)
TELLER = plain("D2-C-002", "Should the vendor rotate the signing keys it held? Which step is BEST?")


def test_the_share_weighs_each_key_word_by_its_rarity_in_the_bank() -> None:
    # A third item names "vendor" and "key" in its stem and "rotate" in an option. Over
    # three items a word's weight is 1 + ln(4 / (1 + items holding it)): "vendor" and "key"
    # weigh 1, the rest (in two items) weigh 1 + ln(4/3); the teller misses only "rotate".
    teller = plain("D2-C-002", "The vendor held our signing keys for a year. Which step is BEST?")
    other = keyed("D2-C-003", "A vendor lost a key. Which is BEST?", "Rotate the audit logs")
    two = 1 + math.log(4 / 3)
    assert key_in_stem_pairs([KEYED, teller, other]) == [
        (0, 1, pytest.approx((2 + 2 * two) / (2 + 3 * two), rel=1e-12))
    ]
    [found] = check_key_in_stem([KEYED, teller, other])
    assert (found.key, found.rule, found.level, found.line) == (
        "D2-C-001",
        "key-in-stem",
        "error",
        LINES["options.B"],  # the key
    )
    assert found.message == (
        "D2-C-002's stem (items/D3-B.yaml:12) states this item's key (78% of its distinctive "
        "words): make them enemies or rewrite one"
    )


def test_a_stem_holding_exactly_three_quarters_of_the_key_weight_states_it() -> None:
    # Four key words, each in both items (weight 1); the stem holds three of them.
    key = keyed("D2-C-001", "Which step is BEST?", "Rotate signing keys often")
    stem = keyed("D2-C-002", "Do we rotate signing keys? Which step is BEST?", "Review it often")
    assert key_in_stem_pairs([key, stem]) == [(0, 1, 0.75)]


def test_a_stem_sharing_three_key_words_but_little_of_their_weight_passes() -> None:
    key = keyed(
        "D2-C-001",
        "Which step is BEST?",
        "Rotate signing keys held by the vendor under a written escrow contract",
    )
    stem = plain("D2-C-002", "The vendor held our keys for a year. Which step is BEST?")
    assert key_in_stem_pairs([key, stem]) == []


@pytest.mark.parametrize("answer", range(4))
def test_the_key_is_found_whichever_option_it_is(answer: int) -> None:
    key = keyed("D2-C-001", KEYED.stem, ROTATE_KEYS, answer=answer)
    [(i, j, _share)] = key_in_stem_pairs([key, TELLER])
    assert (i, j) == (0, 1)


def test_a_key_of_exactly_three_distinctive_words_can_be_stated() -> None:
    key = keyed("D2-C-001", KEYED.stem, "Rotate signing keys")
    assert [(i, j) for i, j, _ in key_in_stem_pairs([key, TELLER])] == [(0, 1)]


def test_a_key_of_two_distinctive_words_is_never_stated() -> None:
    key = keyed("D2-C-001", KEYED.stem, "Signing keys")
    assert key_in_stem_pairs([key, TELLER]) == []


def test_a_short_key_earlier_in_the_bank_does_not_stop_the_search() -> None:
    short = keyed("D2-C-000", "Which control is BEST?", "Signing keys")
    assert [(i, j) for i, j, _ in key_in_stem_pairs([short, KEYED, TELLER])] == [(1, 2)]


def test_stems_sharing_too_few_key_words_do_not_hide_one_that_states_the_key() -> None:
    # Each of these holds two of "rotate", "signing", "keys", and so gets compared first.
    partial = [
        plain("D2-C-002", "Who holds the signing keys? Which step is BEST?"),
        plain("D2-C-003", "We rotate the signing hardware. Which step is BEST?"),
        plain("D2-C-004", "We rotate the keys yearly. Which step is BEST?"),
    ]
    key = keyed("D2-C-001", KEYED.stem, "Rotate signing keys")
    teller = plain("D2-C-005", "Should we rotate signing keys now? Which step is BEST?")
    assert [(i, j) for i, j, _ in key_in_stem_pairs([key, *partial, teller])] == [(0, 4)]


def test_an_enemy_stating_the_key_does_not_hide_another_stem_that_states_it() -> None:
    enemy = plain("D2-C-002", TELLER.stem, enemies=("D2-C-001",))
    teller = plain("D2-C-003", TELLER.stem)
    assert [(i, j) for i, j, _ in key_in_stem_pairs([KEYED, enemy, teller])] == [(0, 2)]


def test_near_duplicate_enemies_pass_while_a_third_copy_is_flagged_against_both() -> None:
    first = make_item("D3-B-001", enemies=("D3-B-002",))
    second = make_item("D3-B-002")
    third = make_item("D3-B-003", stem=first.stem.replace("two clinics", "two hospitals"))
    found = list(check_near_duplicate_items([first, second, third]))
    assert [(f.key, f.rule, f.level, f.line) for f in found] == [
        ("D3-B-003", "near-duplicate-item", "warning", 12),
        ("D3-B-003", "near-duplicate-item", "warning", 12),
    ]
    assert [f.message.split(" alike ")[1] for f in found] == [
        "D3-B-001's (items/D3-B.yaml:12): the two test the same thing",
        "D3-B-002's (items/D3-B.yaml:12): the two test the same thing",
    ]
