"""Pins for item analysis that mutation testing found unasserted: exact messages and boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from exam_engine.domain.item_analysis.base import Thresholds, as_ints
from exam_engine.domain.item_analysis.flags import describe_flag
from exam_engine.domain.item_analysis.option_stats import (
    item_stats,
    rank_entries,
    scoped_item_stats,
)
from exam_engine.domain.item_analysis.scoring import first_exposures, score_entries


def test_as_ints_names_the_array_and_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"^choice must be one-dimensional$"):
        as_ints([[0, 1]], "choice")
    with pytest.raises(ValueError, match=r"^keys must hold integers, got float64$"):
        as_ints([0.0, 1.0], "keys")


def test_as_ints_accepts_an_empty_array_of_any_type_and_gives_int64() -> None:
    empty = as_ints(np.array([], dtype=np.float64), "item")
    assert empty.dtype == np.int64
    assert empty.size == 0
    small = as_ints(np.array([1, 2], dtype=np.int8), "item")
    assert small.dtype == np.int64
    assert small.tolist() == [1, 2]


def test_thresholds_messages_name_the_bad_minimum() -> None:
    with pytest.raises(ValueError, match=r"^min_responses must be an integer, got True$"):
        Thresholds(min_responses=True)
    with pytest.raises(ValueError, match=r"^min_responses must be an integer, got 2\.5$"):
        Thresholds(min_responses=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^min_responses must be >= 1, got 0$"):
        Thresholds(min_responses=0)


def test_a_minimum_of_one_is_allowed() -> None:
    assert Thresholds(min_responses=1).min_responses == 1


VALUES = {
    "answer": 1,
    "min_responses": 30,
    "option_share": [0.02, 0.5, 0.2, 0.28, 0.0],
    "option_upper": [0.0, 0.3, 0.6, 0.1, 0.0],
    "beats_key": ["C", "D"],
    "non_functioning": ["A"],
}


def describe(code: str, **kwargs: object) -> str:
    args: dict[str, object] = {
        "responses": 12,
        "facility": 0.97,
        "discrimination": -0.21,
        "values": VALUES,
    }
    args.update(kwargs)
    return describe_flag(code, **args)  # type: ignore[arg-type]


def test_each_flag_sentence_is_exact() -> None:
    assert describe("too-few-responses") == (
        "Only 12 first-attempt responses; statistics are shown from 30 on."
    )
    assert describe("low-discrimination") == (
        "Discrimination (-0.21) is negative: candidates who do well on the rest of their form "
        "do no better here. Look for a second defensible answer or a cue in the wording."
    )
    assert describe("distractor-beats-key") == (
        "In the upper 27% group, distractors C (60%, p = n/a) and D (10%, p = n/a) were chosen "
        "more often than the key B (30%), beyond chance (one-sided exact binomial test between "
        "the two): possible miskey. Check the key first."
    )
    assert describe("non-functioning-distractor") == (
        "Distractor A (2%) was chosen by under 5% of candidates: a distractor "
        "nobody picks does no work; rewrite it as a plausible misconception."
    )
    assert describe("too-easy") == (
        "Facility 97% is above 95%: a ceiling effect. Almost everyone answers correctly, so the "
        "item tells few candidates apart and its discrimination means little; it is not a sign "
        "of a miskey."
    )
    assert describe("too-hard", facility=0.125) == (
        "Facility 12% is below 20%, under the 25% of blind guessing: a floor effect. Check the "
        "key, the wording and whether the topic is taught."
    )


def test_low_discrimination_wording_at_zero_and_without_a_value() -> None:
    at_zero = describe("low-discrimination", discrimination=0.0)
    assert at_zero.startswith("Discrimination (0.00) is below 0.15: candidates")
    unknown = describe("low-discrimination", discrimination=None)
    assert unknown.startswith("Discrimination is below 0.15: candidates")


def test_three_distractors_are_listed_with_commas_and_missing_shares_read_n_a() -> None:
    values = {"answer": 0, "beats_key": ["B", "C", "D"], "option_upper": [0.1, 0.2]}
    assert describe("distractor-beats-key", values=values) == (
        "In the upper 27% group, distractors B (20%, p = n/a), C (n/a, p = n/a) and D (n/a, "
        "p = n/a) were chosen more often than the key A (10%), beyond chance (one-sided exact "
        "binomial test between the two): possible miskey. Check the key first."
    )
    lone = {"answer": 3, "non_functioning": ["B"]}
    assert describe("non-functioning-distractor", values=lone).startswith(
        "Distractor B (n/a) was chosen by under 5%"
    )


def test_a_key_missing_from_the_values_reads_as_a_and_zero_prints_without_sign() -> None:
    values = {"beats_key": ["B"], "option_upper": [-0.001, 0.5]}
    assert describe("distractor-beats-key", values=values) == (
        "In the upper 27% group, distractor B (50%, p = n/a) was chosen more often than the key "
        "A (0%), beyond chance (one-sided exact binomial test between the two): possible miskey. "
        "Check the key first."
    )
    assert describe("too-easy", facility=None) == (
        "Facility n/a is above 95%: a ceiling effect. Almost everyone answers correctly, so the "
        "item tells few candidates apart and its discrimination means little; it is not a sign "
        "of a miskey."
    )


def test_an_unknown_flag_is_named() -> None:
    with pytest.raises(ValueError, match=r"^unknown flag 'nope'$"):
        describe("nope")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0], [0, 1], [0], [0, 0], 1), "attempt, item and choice must have the same length"),
        (([2], [0], [0], [0], 2), r"attempt rows must be in 0\.\.1"),
        (([0], [3], [0], [0, 1, 2], 1), r"item columns must be in 0\.\.2"),
        (([0], [0], [-2], [0], 1), r"choices must be -1 \(unanswered\) or 0\.\.3"),
        (([0], [0], [0], [-1], 1), r"keys must be in 0\.\.3"),
    ],
)
def test_score_entries_messages_are_exact(args, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        score_entries(*args)


def test_first_exposures_messages_are_exact() -> None:
    with pytest.raises(ValueError, match=r"^person, item and order must have the same length$"):
        first_exposures([0], [0], [0, 1])
    with pytest.raises(ValueError, match=r"^person, item and order must be >= 0$"):
        first_exposures([0], [0], [-1])


def test_first_exposures_of_one_entry_and_of_ties_in_storage_order() -> None:
    assert first_exposures([0], [0], [0]).tolist() == [True]
    # Two people, two items, all in one attempt order: every pair is its own first.
    assert first_exposures([0, 0, 1, 1], [0, 1, 0, 1], [0, 0, 0, 0]).tolist() == [True] * 4
    # The same pair twice in storage order: the earlier entry counts.
    assert first_exposures([3, 3], [2, 2], [4, 5]).tolist() == [True, False]
    assert first_exposures([3, 3], [2, 2], [5, 4]).tolist() == [False, True]


def test_forms_of_one_item_give_no_levels_and_nan_rest() -> None:
    scored = score_entries([0, 1], [0, 0], [0, 1], [0], n_attempts=2)
    assert scored.levels.size == 0
    assert scored.rest_rank.tolist() == [-1, -1]
    assert np.isnan(scored.rest).tolist() == [True, True]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0], [0], [0], [0.5]), {"scope": [0, 0]}, "item, choice, rest_rank and scope must have "
         "the same length"),
        (([0], [0], [0], [[0.5]]), {}, r"levels must be rest scores in \[0, 1\]"),
        (([0], [0], [0], [-0.1]), {}, r"levels must be rest scores in \[0, 1\]"),
        (([0], [0], [0], [1.1]), {}, r"levels must be rest scores in \[0, 1\]"),
        (([0], [0], [0], [0.5, 0.5]), {}, "levels must be strictly ascending"),
        (([2], [0], [0], [0.5]), {}, r"item columns must be in 0\.\.1"),
        (([-1], [0], [0], [0.5]), {}, r"item columns must be in 0\.\.1"),
        (([0], [4], [0], [0.5]), {}, r"choices must be -1 \(unanswered\) or 0\.\.3"),
        (([0], [-2], [0], [0.5]), {}, r"choices must be -1 \(unanswered\) or 0\.\.3"),
        (([0], [0], [1], [0.5]), {}, r"rest_rank must be -1 or in 0\.\.0"),
        (([0], [0], [-2], [0.5]), {}, r"rest_rank must be -1 or in 0\.\.0"),
        (([0], [0], [0], [0.5]), {"scope": [2], "n_scopes": 2}, r"scopes must be in 0\.\.1"),
        (([0], [0], [0], [0.5]), {"scope": [-1], "n_scopes": 2}, r"scopes must be in 0\.\.1"),
    ],
)  # fmt: skip
def test_rank_entries_messages_are_exact(args, kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        rank_entries(*args, n_items=2, **kwargs)


def test_rank_entries_accepts_every_edge_of_its_ranges() -> None:
    ranked = rank_entries(
        [0, 1, 1], [-1, 3, 0], [-1, 1, 0], [0.0, 1.0], n_items=2, scope=[1, 0, 1], n_scopes=2
    )
    # The entry without a rest score is left out; the rest sort by item, then rest from the top.
    assert ranked.packed.size == 2
    assert ranked.scope(0).packed.size == 1
    assert ranked.scope(1).packed.size == 1
    assert (ranked.n_items, ranked.n_scopes, ranked.level_bits, ranked.scope_bits) == (2, 2, 1, 1)


def test_rank_entries_refuses_more_than_63_bits() -> None:
    with pytest.raises(
        ValueError, match=r"^too many items x rest levels x scopes to rank in 63 bits$"
    ):
        rank_entries([], [], [], [0.5], n_items=2**40, n_scopes=2**21)
    # One bit less fits: 40 item bits, 1 level bit, 19 scope bits and 3 column bits.
    assert rank_entries([], [], [], [0.5], n_items=2**40, n_scopes=2**19).packed.size == 0


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0, 0], [0, 1], [0.5], [0]), {}, "item, choice and rest must have the same length"),
        (([0], [0], [[0.5]], [0]), {}, "item, choice and rest must have the same length"),
        (([0], [0], [-0.01], [0]), {}, r"rest scores must be in \[0, 1\] \(leave out one-item "
         r"forms\)"),
        (([0], [0], [0.5], [0]), {"rest_rank": [0, 1]}, "rest_rank must have the same length "
         "as rest"),
        (([0], [0], [0.5], [0]), {"rest_rank": [-1]}, "rest_rank must be >= 0"),
        (([0, 0], [0, 1], [0.5, 0.5], [0]), {"rest_rank": [0, 1]}, "rest_rank does not order "
         "rest exactly"),
    ],
)  # fmt: skip
def test_item_stats_messages_are_exact(args, kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        item_stats(*args, **kwargs)


def test_item_stats_accepts_rest_at_both_ends_and_rank_zero() -> None:
    stats = item_stats([0, 0], [0, 1], [0.0, 1.0], [0], rest_rank=[0, 5])
    assert stats.responses.tolist() == [2]
    assert stats.facility.tolist() == [0.5]


def test_scoped_item_stats_messages_are_exact() -> None:
    ranked = rank_entries([0], [0], [0], [0.5], n_items=1)
    with pytest.raises(ValueError, match=r"^keys must have one key per item column \(1\)$"):
        scoped_item_stats(ranked, [0, 0])
    with pytest.raises(ValueError, match=r"^keys must be in 0\.\.3$"):
        scoped_item_stats(ranked, [4])
    with pytest.raises(ValueError, match=r"^keys must be in 0\.\.3$"):
        scoped_item_stats(ranked, [-1])


def test_first_exposures_names_each_bad_array() -> None:
    with pytest.raises(ValueError, match=r"^person must be one-dimensional$"):
        first_exposures([[0]], [0], [0])
    with pytest.raises(ValueError, match=r"^item must hold integers, got float64$"):
        first_exposures([0], [0.0], [0])
    with pytest.raises(ValueError, match=r"^order must be one-dimensional$"):
        first_exposures([0], [0], [[0]])


def test_first_exposures_are_booleans() -> None:
    assert first_exposures([0, 0], [1, 1], [0, 1]).dtype == np.bool_
    assert first_exposures([], [], []).dtype == np.bool_


def test_an_order_that_is_not_sorted_is_sorted_even_when_all_follow_the_first() -> None:
    # Orders [0, 2, 1]: every later order is >= the first, but the list is not sorted.
    assert first_exposures([0, 0, 0], [5, 6, 6], [0, 2, 1]).tolist() == [True, False, True]


def reference_first(person, item, order) -> list[bool]:
    earliest: dict[tuple[int, int], int] = {}
    for index, pair in enumerate(zip(person, item, strict=True)):
        if pair not in earliest or order[index] < order[earliest[pair]]:
            earliest[pair] = index
    chosen = set(earliest.values())
    return [index in chosen for index in range(len(person))]


@pytest.mark.parametrize("size", [3, 5, 9, 17])
def test_first_exposures_in_attempt_order_match_a_plain_count(size: int) -> None:
    # Sizes one past a power of two are where the packed index needs its last bit.
    rng = np.random.default_rng(size)
    for _ in range(40):
        person = rng.integers(0, 3, size)
        item = rng.integers(0, 3, size)
        order = np.sort(rng.integers(0, 4, size))
        expected = reference_first(person.tolist(), item.tolist(), order.tolist())
        assert first_exposures(person, item, order).tolist() == expected


def test_pairs_that_would_overflow_a_packed_key_keep_apart() -> None:
    # Pairs 0 and 2**62 shifted left by two index bits would wrap onto each other.
    result = first_exposures([0, 2**62, 0], [0, 0, 0], [0, 0, 1])
    assert result.tolist() == [True, True, False]


def test_pairs_that_would_overflow_an_order_key_stay_together() -> None:
    # pair * 4 + order would wrap 2**62 onto 0 and put its entry between the other pair's two.
    person = [0, 2**62, 0]
    result = first_exposures(person, [0, 0, 0], [3, 2, 1])
    assert result.tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([[0]], [0], [0.5], [0]), {}, "item must be one-dimensional"),
        (([0], [0], [0.5], [[0]]), {}, "keys must be one-dimensional"),
        (([0], [0], [0.5], [0]), {"rest_rank": [0.0]}, "rest_rank must hold integers, got float64"),
        (([0], [0], [1.01], [0]), {}, r"rest scores must be in \[0, 1\] \(leave out one-item "
         r"forms\)"),
        (([0, 0], [0, 1], [0.2, 0.5], [0]), {"rest_rank": [0, 0]}, "rest_rank does not order "
         "rest exactly"),
        (([0, 0, 0], [0, 1, 2], [0.2, 0.5, 0.3], [0]), {"rest_rank": [0, 1, 2]}, "rest_rank "
         "does not order rest exactly"),
    ],
)  # fmt: skip
def test_item_stats_names_each_array_and_each_misordering(args, kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        item_stats(*args, **kwargs)


@pytest.mark.parametrize("bad", range(4))
def test_score_entries_names_each_bad_array(bad: int) -> None:
    args: list[object] = [[0], [0], [0], [0]]
    args[bad] = [[0]]
    name = ("attempt", "item", "choice", "keys")[bad]
    with pytest.raises(ValueError, match=f"^{name} must be one-dimensional$"):
        score_entries(*args, n_attempts=1)


def test_totals_and_form_sizes_are_integers() -> None:
    scored = score_entries([0, 0], [0, 1], [0, 2], [0, 1], n_attempts=1)
    assert scored.totals.dtype == np.int64
    assert scored.form_size.dtype == np.int64
    assert scored.totals.tolist() == [1]


@pytest.mark.parametrize("bad", range(4))
def test_rank_entries_names_each_bad_array(bad: int) -> None:
    args: list[object] = [[0], [0], [0], [0]]
    args[bad] = [[0]]
    name = ("item", "choice", "rest_rank", "scope")[bad]
    scope = args.pop()
    with pytest.raises(ValueError, match=f"^{name} must be one-dimensional$"):
        rank_entries(*args, [0.5], n_items=1, scope=scope)


def test_levels_that_fall_after_the_first_are_not_ascending() -> None:
    with pytest.raises(ValueError, match=r"^levels must be strictly ascending$"):
        rank_entries([0], [0], [0], [0.2, 0.5, 0.3], n_items=1)


def test_scoped_item_stats_names_the_keys_and_counts_in_integers() -> None:
    ranked = rank_entries([0], [0], [0], [0.5], n_items=1)
    with pytest.raises(ValueError, match=r"^keys must be one-dimensional$"):
        scoped_item_stats(ranked, [[0]])
    stats = item_stats([0, 0], [0, 1], [0.2, 0.8], [0])
    assert stats.responses.dtype == np.int64
    assert stats.option_count.dtype == np.int64


def test_as_ints_hands_back_an_int64_array_without_copying() -> None:
    # Entry arrays run to tens of megabytes: an array already in int64 is used as it is.
    values = np.array([3, 1, 2], dtype=np.int64)
    assert as_ints(values, "item") is values


def test_the_63_bit_limit_counts_item_bits_exactly_with_one_scope() -> None:
    # 2**59 items: 59 item bits + 1 level bit + 0 scope bits + 3 column bits = 63, allowed.
    assert rank_entries([], [], [], [0.5], n_items=2**59).packed.size == 0
    with pytest.raises(ValueError, match=r"^too many items x rest levels x scopes"):
        rank_entries([], [], [], [0.5], n_items=2**59 + 1)


def test_the_miskey_sentence_gives_each_distractors_p_value_when_the_group_size_is_known() -> None:
    # Upper group of 20: the key A chosen by 2, B by 12; P(X >= 12 | Bin(14, 1/2)) = 0.00647.
    values = {
        "answer": 0,
        "beats_key": ["B"],
        "option_upper": [0.1, 0.6, 0.2, 0.1, 0.0],
        "group_size": 20,
    }
    assert describe("distractor-beats-key", values=values) == (
        "In the upper 27% group, distractor B (60%, p = 0.006) was chosen more often than the "
        "key A (10%), beyond chance (one-sided exact binomial test between the two): possible "
        "miskey. Check the key first."
    )
