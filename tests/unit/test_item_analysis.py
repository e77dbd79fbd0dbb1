"""Item analysis: every statistic against a hand-worked example and an independent computation."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from exam_engine.domain import item_analysis as ia
from exam_engine.domain.item_analysis import (
    BLANK,
    FLAG_LABELS,
    ItemStats,
    Thresholds,
    describe_flag,
    first_exposures,
    flag_masks,
    item_flags,
    item_stats,
    item_summaries,
    score_entries,
    score_stats,
    slot_matrix,
)
from exam_engine.domain.item_analysis.flags import beats_key_p_values
from tests.support.properties import examples

# --- A hand-worked example ------------------------------------------------------------------
#
# Five candidates take the same three items (key A = 0 for each). Marks:
#
#           I1  I2  I3   total
#   c1       1   1   1     3
#   c2       1   1   0     2
#   c3       1   0   1     2
#   c4       0   1   0     1     c4 chose B on I1
#   c5       0   0   0     0     c5 left I1 unanswered; chose C on I2, D on I3
#
# Rest scores for I1 (share correct on the other two items): c1 2/2 = 1, c2 1/2, c3 1/2,
# c4 1/2, c5 0. Rbar = 2.5 / 5 = 0.5, so R - Rbar = [.5, 0, 0, 0, -.5], sum of squares 0.5.
#
#   facility     p = 3/5 = 0.6
#   SD           sqrt(5 * 0.6 * 0.4 / 4) = sqrt(0.3) = 0.547723
#   r            sum(x (R - Rbar)) = .5 + 0 + 0 = 0.5;  sum((x - p)^2) = 3 * 2 / 5 = 1.2
#                r = 0.5 / sqrt(1.2 * 0.5) = 0.5 / sqrt(0.6) = 0.645497
#   DE           the N1 = 3 highest R - Rbar are .5, 0, 0: Cmax ~ 0.5, so DE = 0.5 / 0.5 = 1
#   groups       g = 0.27 * 5 = 1.35. Ranked by rest: c1 (1), then c2, c3, c4 tied at 0.5,
#                then c5 (0). Upper: c1 whole, and the tie block [1, 4) shares the 0.35 left,
#                0.35 / 3 each. Upper facility = (1 + 2 * 0.35/3) / 1.35 = 0.913580.
#                Lower: c5 whole, the tie block shares 0.35 again: (0 + 2 * 0.35/3) / 1.35
#                = 0.172840 (c2 and c3 are right, c4 is wrong).
#   option B     chosen by c4 only (weight 0.35/3 in both groups): share 0.2, upper and lower
#                0.35 / 3 / 1.35 = 0.086420; y - ybar = [-.2, -.2, -.2, .8, -.2] and
#                R - Rbar = [.5, 0, 0, 0, -.5] give covariance 0, so r = 0.
#   unanswered   c5 only: share 0.2, upper 0, lower 1 / 1.35 = 0.740741;
#                r = sum(y (R - Rbar)) / sqrt(1 * 4 / 5 * 0.5) = -0.5 / sqrt(0.4) = -0.790569
#
# Test statistics: totals 3, 2, 2, 1, 0; mean 1.6; population variance 5.2 / 5 = 1.04;
# slot facilities 0.6, 0.6, 0.4, so sum p q = 3 * 0.24 = 0.72.
#   alpha = 3/2 * (1 - 0.72 / 1.04) = 6/13 = 0.461538
#   SD (N - 1) = sqrt(5.2 / 4) = sqrt(1.3);  SEM = sqrt(1.3) * sqrt(7/13) = sqrt(0.7)

HAND_MARKS = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 0]])
HAND_CHOICES = np.array([[0, 0, 0], [0, 0, 1], [0, 3, 0], [1, 0, 2], [-1, 2, 3]])


def hand_entries() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    attempt = np.repeat(np.arange(5), 3)
    item = np.tile(np.arange(3), 5)
    return attempt, item, HAND_CHOICES.ravel(), np.zeros(3, dtype=np.int64)


def test_hand_example_marks_and_rest_scores() -> None:
    attempt, item, choice, keys = hand_entries()
    scored = score_entries(attempt, item, choice, keys, 5)
    assert scored.correct.reshape(5, 3).astype(int).tolist() == HAND_MARKS.tolist()
    assert scored.totals.tolist() == [3, 2, 2, 1, 0]
    assert scored.form_size.tolist() == [3, 3, 3, 3, 3]
    assert scored.rest.reshape(5, 3)[:, 0].tolist() == [1.0, 0.5, 0.5, 0.5, 0.0]


def test_hand_example_item_statistics() -> None:
    attempt, item, choice, keys = hand_entries()
    scored = score_entries(attempt, item, choice, keys, 5)
    stats = item_stats(item, choice, scored.rest, keys, rest_rank=scored.rest_rank)
    assert stats.responses.tolist() == [5, 5, 5]
    assert stats.facility[0] == pytest.approx(0.6)
    assert stats.sd[0] == pytest.approx(math.sqrt(0.3))
    assert stats.discrimination[0] == pytest.approx(0.5 / math.sqrt(0.6))
    assert stats.efficiency[0] == pytest.approx(1.0)
    assert stats.group_size[0] == pytest.approx(1.35)
    assert stats.upper[0] == pytest.approx((1 + 2 * 0.35 / 3) / 1.35)
    assert stats.lower[0] == pytest.approx((2 * 0.35 / 3) / 1.35)
    # Options of I1: A (key), B, C, D, unanswered.
    assert stats.option_count[0].tolist() == [3, 1, 0, 0, 1]
    assert stats.option_share[0].tolist() == pytest.approx([0.6, 0.2, 0.0, 0.0, 0.2])
    assert stats.option_upper[0, 1] == pytest.approx(0.35 / 3 / 1.35)
    assert stats.option_lower[0, 1] == pytest.approx(0.35 / 3 / 1.35)
    assert stats.option_upper[0, BLANK] == 0.0
    assert stats.option_lower[0, BLANK] == pytest.approx(1 / 1.35)
    assert stats.option_r[0, 0] == pytest.approx(stats.discrimination[0])
    assert stats.option_r[0, 1] == pytest.approx(0.0, abs=1e-12)
    assert stats.option_r[0, BLANK] == pytest.approx(-0.5 / math.sqrt(0.4))
    # Nobody chose C or D on I1: no correlation is defined.
    assert math.isnan(stats.option_r[0, 2])
    assert math.isnan(stats.option_r[0, 3])
    # Group shares of the five columns add up to 1 in each group.
    assert stats.option_upper.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0])
    assert stats.option_lower.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0])


def test_hand_example_test_statistics() -> None:
    attempt, item, choice, keys = hand_entries()
    scored = score_entries(attempt, item, choice, keys, 5)
    matrix, excluded = slot_matrix(attempt, item + 1, scored.correct)
    assert excluded == 0
    assert matrix.tolist() == HAND_MARKS.tolist()
    result = score_stats(matrix)
    assert (result.attempts, result.items) == (5, 3)
    assert result.mean == pytest.approx(1.6)
    assert result.sd == pytest.approx(math.sqrt(1.3))
    assert result.alpha == pytest.approx(6 / 13)
    assert result.sem == pytest.approx(math.sqrt(0.7))
    assert result.mean_percent == pytest.approx(160 / 3)
    # Percent scores 100, 66.7, 66.7, 33.3, 0.
    assert result.distribution == (1, 0, 0, 1, 0, 0, 2, 0, 0, 1)
    assert result.median_percent == pytest.approx(200 / 3)


def test_rest_is_the_share_correct_on_the_rest_of_the_own_form() -> None:
    # Attempt 0 saw items 0-3 (4 items), attempt 1 saw items 0, 4 (2 items); key A everywhere.
    attempt = [0, 0, 0, 0, 1, 1]
    item = [0, 1, 2, 3, 0, 4]
    choice = [0, 0, 1, -1, 1, 0]
    scored = score_entries(attempt, item, choice, np.zeros(5, dtype=np.int64), 2)
    assert scored.totals.tolist() == [2, 1]
    # Attempt 0: right items leave 1 of 3; wrong ones leave 2 of 3. Attempt 1: 1 of 1, 0 of 1.
    assert scored.rest.tolist() == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3, 1.0, 0.0])


def test_one_item_forms_have_no_rest_score() -> None:
    scored = score_entries([0, 1, 1], [0, 0, 1], [0, 0, 1], [0, 0], 2)
    assert math.isnan(scored.rest[0])
    assert scored.rest_rank[0] == -1
    alone = score_entries([0, 1], [0, 1], [0, 1], [0, 0], 2)
    assert alone.levels.size == 0
    assert np.isnan(alone.rest).all()
    assert scored.rest[1:].tolist() == [0.0, 1.0]


def test_rest_rank_orders_rest_exactly() -> None:
    rng = np.random.default_rng(3)
    attempt, item, choice, keys = random_forms(rng, n_attempts=60, bank=30, lengths=(5, 7, 13))
    scored = score_entries(attempt, item, choice, keys, 60)
    order = np.argsort(scored.rest_rank, kind="stable")
    ranks, rests = scored.rest_rank[order], scored.rest[order]
    assert np.all((ranks[1:] == ranks[:-1]) == (rests[1:] == rests[:-1]))
    assert np.all(rests[1:] >= rests[:-1])
    # The levels are exactly the scores entries have, ascending, and each rank points at its own.
    totals = np.bincount(attempt, weights=scored.correct).astype(int)
    sizes = np.bincount(attempt)
    expected = (totals[attempt] - scored.correct) / (sizes[attempt] - 1)
    assert scored.levels.tolist() == sorted(set(expected.tolist()))
    assert scored.levels[scored.rest_rank].tolist() == expected.tolist()


# --- An independent computation --------------------------------------------------------------


def random_forms(
    rng: np.random.Generator,
    *,
    n_attempts: int,
    bank: int,
    lengths: tuple[int, ...] = (10,),
    blank: float = 0.05,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random forms of the given lengths from a bank, answered by a 2PL model."""
    keys = rng.integers(0, 4, bank)
    difficulty = rng.normal(0, 1, bank)
    ability = rng.normal(0, 1, n_attempts)
    attempts, items, choices = [], [], []
    for a in range(n_attempts):
        shown = rng.choice(bank, rng.choice(lengths), replace=False)
        p = 1 / (1 + np.exp(-(ability[a] - difficulty[shown])))
        right = rng.random(shown.size) < p
        wrong = (keys[shown] + rng.integers(1, 4, shown.size)) % 4
        choice = np.where(right, keys[shown], wrong)
        choice = np.where(rng.random(shown.size) < blank, -1, choice)
        attempts += [a] * shown.size
        items += shown.tolist()
        choices += choice.tolist()
    return np.array(attempts), np.array(items), np.array(choices), keys


def reference_groups(rest: np.ndarray, y: np.ndarray, descending: bool) -> float:
    """Share of ``y`` in the 27% group, walking distinct rest values with fractional ties."""
    g = ia.GROUP_SHARE * rest.size
    left = g
    total = 0.0
    for value in sorted(set(rest.tolist()), reverse=descending):
        members = rest == value
        taken = min(float(members.sum()), left)
        total += taken / members.sum() * y[members].sum()
        left -= taken
        if left <= 0:
            break
    return total / g


def reference_item(x: np.ndarray, rest: np.ndarray, choice: np.ndarray) -> dict[str, object]:
    """Every statistic of one item, the slow and obvious way (numpy and scipy)."""
    n = x.size
    out: dict[str, object] = {"facility": x.mean()}
    out["sd"] = np.std(x, ddof=1) if n > 1 else math.nan
    varies = x.min() != x.max() and rest.min() != rest.max()
    out["r"] = scipy_stats.pearsonr(x, rest)[0] if varies else math.nan
    if varies:
        covariance = np.cov(x, rest)[0, 1]
        largest = np.cov(np.sort(x), np.sort(rest))[0, 1]
        out["de"] = covariance / largest
    else:
        out["de"] = math.nan
    out["upper"] = reference_groups(rest, x, True)
    out["lower"] = reference_groups(rest, x, False)
    options = []
    for option in (0, 1, 2, 3, -1):
        y = (choice == option).astype(float)
        r = (
            scipy_stats.pearsonr(y, rest)[0]
            if y.min() != y.max() and rest.min() != rest.max()
            else math.nan
        )
        options.append(
            (
                y.mean(),
                reference_groups(rest, y, True),
                reference_groups(rest, y, False),
                r,
            )
        )
    out["options"] = options
    return out


def assert_matches_reference(
    stats: ItemStats, item: np.ndarray, choice: np.ndarray, rest: np.ndarray, keys: np.ndarray
) -> None:
    by_item: dict[int, list[int]] = defaultdict(list)
    for index, column in enumerate(item.tolist()):
        by_item[column].append(index)
    for column in range(keys.size):
        rows = np.array(by_item.get(column, []), dtype=np.int64)
        assert stats.responses[column] == rows.size
        if rows.size == 0:
            assert math.isnan(stats.facility[column])
            continue
        x = (choice[rows] == keys[column]).astype(float)
        expected = reference_item(x, rest[rows], choice[rows])
        close = {"rel": 1e-9, "abs": 1e-9, "nan_ok": True}
        assert stats.facility[column] == pytest.approx(expected["facility"], **close)
        assert stats.sd[column] == pytest.approx(expected["sd"], **close)
        assert stats.discrimination[column] == pytest.approx(expected["r"], **close)
        assert stats.efficiency[column] == pytest.approx(expected["de"], **close)
        assert stats.upper[column] == pytest.approx(expected["upper"], **close)
        assert stats.lower[column] == pytest.approx(expected["lower"], **close)
        for col, (share, upper, lower, r) in enumerate(expected["options"]):  # type: ignore[arg-type]
            assert stats.option_share[column, col] == pytest.approx(share, **close)
            assert stats.option_upper[column, col] == pytest.approx(upper, **close)
            assert stats.option_lower[column, col] == pytest.approx(lower, **close)
            assert stats.option_r[column, col] == pytest.approx(r, **close)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("lengths", [(12,), (5, 9, 20)])
def test_item_statistics_match_an_independent_computation(seed, lengths) -> None:
    rng = np.random.default_rng(seed)
    attempt, item, choice, keys = random_forms(rng, n_attempts=150, bank=25, lengths=lengths)
    scored = score_entries(attempt, item, choice, keys, 150)
    stats = item_stats(item, choice, scored.rest, keys, rest_rank=scored.rest_rank)
    assert_matches_reference(stats, item, choice, scored.rest, keys)
    # Without precomputed ranks the function ranks the floats itself: same numbers.
    plain = item_stats(item, choice, scored.rest, keys)
    for name in ("facility", "discrimination", "efficiency", "upper", "lower", "option_r"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(stats, name))


@settings(max_examples=examples(60), deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 3),  # item
            st.integers(-1, 3),  # choice
            st.sampled_from([0.0, 0.25, 0.5, 0.5, 0.75, 1.0, 1 / 3]),  # rest, with many ties
        ),
        min_size=1,
        max_size=40,
    ),
    keys=st.lists(st.integers(0, 3), min_size=4, max_size=4),
)
def test_any_small_response_set_matches_the_reference(data, keys) -> None:
    item = np.array([d[0] for d in data])
    choice = np.array([d[1] for d in data])
    rest = np.array([d[2] for d in data])
    key_array = np.array(keys)
    stats = item_stats(item, choice, rest, key_array)
    assert_matches_reference(stats, item, choice, rest, key_array)


def test_tied_entries_are_never_split_by_their_storage_order() -> None:
    rest = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.0, 0.0])
    choice = np.array([0, 0, 1, 2, 0, 1, 1, 0, 3, 3])
    keys = np.array([0])
    first = item_stats(np.zeros(10, dtype=int), choice, rest, keys)
    permutation = np.random.default_rng(5).permutation(10)
    second = item_stats(np.zeros(10, dtype=int), choice[permutation], rest[permutation], keys)
    np.testing.assert_allclose(first.option_upper, second.option_upper)
    np.testing.assert_allclose(first.option_lower, second.option_lower)


def test_constant_rest_scores_give_undefined_discrimination() -> None:
    stats = item_stats([0, 0, 0], [0, 1, 2], [0.1, 0.1, 0.1], [0])
    assert stats.facility[0] == pytest.approx(1 / 3)
    assert math.isnan(stats.discrimination[0])
    assert math.isnan(stats.efficiency[0])
    # Rounding must not invent variance: (0.1 + 0.1 + 0.1) / 3 != 0.1 in floating point.
    assert np.all(np.isnan(stats.option_r[0, :3]))


def test_everyone_right_gives_undefined_discrimination() -> None:
    stats = item_stats([0, 0, 0], [2, 2, 2], [0.2, 0.6, 1.0], [2])
    assert stats.facility[0] == 1.0
    assert stats.sd[0] == 0.0
    assert math.isnan(stats.discrimination[0])
    assert math.isnan(stats.efficiency[0])


def ranked_fixture(seed: int = 8):
    """Entries of 300 attempts over 40 items in two scopes, scored, with first exposures."""
    rng = np.random.default_rng(seed)
    attempt, item, choice, keys = random_forms(rng, n_attempts=300, bank=40, lengths=(6, 11))
    scored = score_entries(attempt, item, choice, keys, 300)
    scope = (attempt % 3 == 0).astype(np.int64)
    return attempt, item, choice, keys, scored, scope


def assert_same_stats(first: ItemStats, second: ItemStats) -> None:
    for name in ItemStats.__dataclass_fields__:
        a, b = getattr(first, name), getattr(second, name)
        assert a.dtype == b.dtype, name
        assert a.tobytes() == b.tobytes(), name


def test_ranked_entries_are_sorted_by_item_then_rest_from_the_highest() -> None:
    _, item, choice, keys, scored, scope = ranked_fixture()
    ranked = ia.rank_entries(
        item, choice, scored.rest_rank, scored.levels, n_items=keys.size, scope=scope, n_scopes=2
    )
    assert np.all(np.diff(ranked.packed) >= 0)
    assert ranked.packed.size == item.size
    for value in (0, 1):
        part = ranked.scope(value)
        assert part.packed.size == np.count_nonzero(scope == value)
        assert np.all(np.diff(part.packed) >= 0)
        # A scope ranked on its own is the same entries in the same order.
        alone = ia.rank_entries(
            item[scope == value],
            choice[scope == value],
            scored.rest_rank[scope == value],
            scored.levels,
            n_items=keys.size,
            scope=scope[scope == value],
            n_scopes=2,
        )
        assert part.packed.tobytes() == alone.packed.tobytes()
        # ... and the statistics equal item_stats on the scope's entries, to the last bit.
        mask = scope == value
        expected = item_stats(item[mask], choice[mask], scored.rest[mask], keys)
        assert_same_stats(ia.ranked_item_stats(part, keys), expected)


@pytest.mark.parametrize("chunk", [None, 5])
def test_scoped_statistics_equal_each_scope_ranked_alone(monkeypatch, chunk) -> None:
    if chunk:
        monkeypatch.setattr(ia.option_stats, "_CHUNK", chunk)
    _, item, choice, keys, scored, scope = ranked_fixture(15)
    three = scope + (np.arange(scope.size) % 5 == 0)
    ranked = ia.rank_entries(
        item, choice, scored.rest_rank, scored.levels, n_items=keys.size, scope=three, n_scopes=4
    )
    everything, parts = ia.scoped_item_stats(ranked, keys)
    assert_same_stats(everything, ia.ranked_item_stats(ranked, keys))
    assert len(parts) == 4
    assert parts[3].responses.sum() == 0
    for value, stats in enumerate(parts):
        assert_same_stats(stats, ia.ranked_item_stats(ranked.scope(value), keys))
        assert stats.responses.sum() == np.count_nonzero(three == value)
    # One scope: its statistics are those of everything.
    single = ia.rank_entries(item, choice, scored.rest_rank, scored.levels, n_items=keys.size)
    whole, only = ia.scoped_item_stats(single, keys)
    assert len(only) == 1
    assert only[0] is whole


def test_statistics_do_not_depend_on_the_order_of_the_entries() -> None:
    # Ties are ranked by scope and option, not by storage order: every sum adds equal values
    # in the same order, so a shuffled input gives bit-identical results.
    _, item, choice, keys, scored, _ = ranked_fixture(9)
    first = item_stats(item, choice, scored.rest, keys, rest_rank=scored.rest_rank)
    shuffle = np.random.default_rng(3).permutation(item.size)
    second = item_stats(
        item[shuffle],
        choice[shuffle],
        scored.rest[shuffle],
        keys,
        rest_rank=scored.rest_rank[shuffle],
    )
    assert_same_stats(first, second)


def test_entries_with_rank_minus_one_are_left_out() -> None:
    _, item, choice, keys, scored, _ = ranked_fixture(10)
    keep = np.arange(item.size) % 4 != 0
    ranked = ia.rank_entries(
        item, choice, np.where(keep, scored.rest_rank, -1), scored.levels, n_items=keys.size
    )
    expected = item_stats(item[keep], choice[keep], scored.rest[keep], keys)
    assert_same_stats(ia.ranked_item_stats(ranked, keys), expected)


def test_small_chunks_give_the_same_statistics(monkeypatch) -> None:
    # Items are summed a chunk of items at a time; chunks of a few entries (an item larger
    # than a chunk runs alone) must change nothing.
    _, item, choice, keys, scored, _ = ranked_fixture(11)
    ranked = ia.rank_entries(item, choice, scored.rest_rank, scored.levels, n_items=keys.size)
    whole = ia.ranked_item_stats(ranked, keys)
    monkeypatch.setattr(ia.option_stats, "_CHUNK", 7)
    shift = ranked.level_bits + ranked.scope_bits + 3
    assert (
        len(ia.option_stats._item_chunks(np.searchsorted(ranked.packed, np.arange(41) << shift)))
        > 10
    )
    assert_same_stats(ia.ranked_item_stats(ranked, keys), whole)
    # Items nobody saw, at both ends and in the middle, stay empty.
    sparse = np.concatenate(([0], keys, [1], keys))
    shifted = ia.rank_entries(
        item + 1, choice, scored.rest_rank, scored.levels, n_items=sparse.size
    )
    stats = ia.ranked_item_stats(shifted, sparse)
    assert stats.responses[0] == 0
    assert stats.responses[41:].sum() == 0
    np.testing.assert_array_equal(stats.facility[1:41], whole.facility)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": [0.5, 0.2]}, "ascending"),
        ({"levels": [0.2, 1.5]}, r"\[0, 1\]"),
        ({"rest_rank": [0, 2]}, "rest_rank"),
        ({"rest_rank": [0, -2]}, "rest_rank"),
        ({"scope": [0, 3]}, "scopes"),
        ({"item": [0, 9]}, "item columns"),
        ({"choice": [0, 4]}, "choices"),
        ({"choice": [0]}, "same length"),
        ({"n_items": 2**50, "levels": np.linspace(0, 1, 2**12)}, "63 bits"),
    ],
)
def test_rank_entries_rejects_bad_input(kwargs, message) -> None:
    args = {"item": [0, 1], "choice": [0, -1], "rest_rank": [0, 1], "levels": [0.2, 0.5]}
    args.update(kwargs)
    n_items = args.pop("n_items", 2)
    scope = args.pop("scope", None)
    with pytest.raises(ValueError, match=message):
        ia.rank_entries(**args, n_items=n_items, scope=scope, n_scopes=2 if scope else 1)


def test_ranked_statistics_need_one_key_per_item() -> None:
    ranked = ia.rank_entries([0, 1], [0, 1], [0, 1], [0.2, 0.5], n_items=2)
    with pytest.raises(ValueError, match="one key per item"):
        ia.ranked_item_stats(ranked, [0])
    with pytest.raises(ValueError, match="keys"):
        ia.ranked_item_stats(ranked, [0, 4])


# --- First exposures ---------------------------------------------------------------------------


def reference_first(person, item, order) -> list[bool]:
    best: dict[tuple[int, int], int] = {}
    for index, key in enumerate(zip(person, item, strict=True)):
        if key not in best or order[index] < order[best[key]]:
            best[key] = index
    chosen = set(best.values())
    return [index in chosen for index in range(len(person))]


@pytest.mark.parametrize("scale", [1, 10**7])
def test_first_exposures_match_a_dictionary(scale) -> None:
    rng = np.random.default_rng(11)
    person = rng.integers(0, 20, 500) * scale
    item = rng.integers(0, 15, 500) * scale
    order = rng.permutation(500)
    expected = reference_first(person.tolist(), item.tolist(), order.tolist())
    assert first_exposures(person, item, order).tolist() == expected


@pytest.mark.parametrize("scale", [1, 10**7])
def test_first_exposures_of_entries_in_attempt_order_match_a_dictionary(scale) -> None:
    # Entries stored attempt after attempt (as a recompute reads them) take the shorter sort.
    rng = np.random.default_rng(12)
    person = rng.integers(0, 20, 500) * scale
    item = rng.integers(0, 15, 500) * scale
    order = np.sort(rng.integers(0, 60, 500))
    expected = reference_first(person.tolist(), item.tolist(), order.tolist())
    assert first_exposures(person, item, order).tolist() == expected


def test_first_exposures_keep_the_earliest_attempt() -> None:
    # Person 7 saw item 3 in attempts ranked 5 and 2: only rank 2 counts.
    assert first_exposures([7, 7, 7, 8], [3, 3, 4, 3], [5, 2, 5, 9]).tolist() == [
        False,
        True,
        True,
        True,
    ]
    assert first_exposures([], [], []).tolist() == []


# --- Test statistics --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [4, 5])
def test_score_statistics_match_an_independent_computation(seed) -> None:
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 1, 300)
    difficulty = rng.normal(0, 1, 20)
    matrix = (rng.random((300, 20)) < 1 / (1 + np.exp(difficulty - ability[:, None]))).astype(float)
    result = score_stats(matrix)
    k = 20
    covariance = np.cov(matrix, rowvar=False)
    # Cronbach's alpha from the covariance matrix: k/(k-1) (1 - trace / total variance).
    alpha = k / (k - 1) * (1 - np.trace(covariance) / covariance.sum())
    totals = matrix.sum(axis=1)
    assert result.alpha == pytest.approx(alpha)
    assert result.mean == pytest.approx(totals.mean())
    assert result.sd == pytest.approx(np.std(totals, ddof=1))
    assert result.sem == pytest.approx(np.std(totals, ddof=1) * math.sqrt(1 - alpha))
    counts, _ = np.histogram(100 * totals / k, bins=np.arange(0, 101, 10))
    assert list(result.distribution) == counts.tolist()
    assert result.median_percent == pytest.approx(np.median(100 * totals / k))


def test_score_statistics_of_nothing_are_undefined() -> None:
    result = score_stats(np.zeros((0, 0)))
    assert result.attempts == 0
    assert math.isnan(result.alpha)
    values = result.to_values(Thresholds())
    assert values["alpha"] is None
    assert values["distribution"] == [0] * 10
    json.dumps(values, allow_nan=False)


def test_score_statistics_below_the_minimum_withhold_alpha() -> None:
    attempt, item, choice, keys = hand_entries()
    scored = score_entries(attempt, item, choice, keys, 5)
    matrix, _ = slot_matrix(attempt, item + 1, scored.correct)
    values = score_stats(matrix).to_values(Thresholds(min_responses=6))
    assert values["suppressed"] is True
    assert values["alpha"] is None
    assert values["sem"] is None
    assert values["mean"] == 1.6
    assert score_stats(matrix).to_values(Thresholds(min_responses=5))["alpha"] == 0.4615


def test_slot_matrix_keeps_only_forms_of_the_common_length() -> None:
    # Attempts 3 and 5 have three positions; attempt 9 has two and is left out.
    matrix, excluded = slot_matrix(
        [3, 3, 3, 5, 5, 5, 9, 9], [2, 1, 3, 1, 2, 3, 1, 2], [1, 0, 1, 0, 0, 1, 1, 1]
    )
    assert excluded == 1
    assert matrix.tolist() == [[0, 1, 1], [0, 0, 1]]


# --- Flags and summaries ------------------------------------------------------------------------


def fake_stats(**overrides: object) -> ItemStats:
    """One item with 100 responses, key A, well behaved unless overridden."""
    base = {
        "keys": np.array([0]),
        "responses": np.array([100]),
        "facility": np.array([0.6]),
        "sd": np.array([0.49]),
        "discrimination": np.array([0.4]),
        "efficiency": np.array([0.6]),
        "upper": np.array([0.9]),
        "lower": np.array([0.3]),
        "group_size": np.array([27.0]),
        "option_count": np.array([[60, 15, 15, 10, 0]]),
        "option_share": np.array([[0.6, 0.15, 0.15, 0.1, 0.0]]),
        "option_upper": np.array([[0.9, 0.05, 0.03, 0.02, 0.0]]),
        "option_lower": np.array([[0.3, 0.3, 0.2, 0.2, 0.0]]),
        "option_r": np.array([[0.4, -0.2, -0.2, -0.1, math.nan]]),
    }
    for name, value in overrides.items():
        base[name] = np.asarray(value)
    return ItemStats(**base)  # type: ignore[arg-type]


def flags_of(**overrides: object) -> tuple[str, ...]:
    return item_flags(fake_stats(**overrides), Thresholds())[0]


def test_a_well_behaved_item_has_no_flag() -> None:
    assert flags_of() == ()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"discrimination": [0.1499]}, ("low-discrimination",)),
        ({"discrimination": [0.15]}, ()),
        ({"discrimination": [-0.3]}, ("low-discrimination",)),
        ({"discrimination": [math.nan]}, ()),
        ({"facility": [0.9501]}, ("too-easy",)),
        ({"facility": [0.95]}, ()),
        ({"facility": [0.1999]}, ("too-hard",)),
        ({"facility": [0.2]}, ()),
        ({"option_share": [[0.6, 0.15, 0.0499, 0.2, 0.0]]}, ("non-functioning-distractor",)),
        ({"option_share": [[0.6, 0.15, 0.05, 0.2, 0.0]]}, ()),
        # The unanswered column is never a distractor, however rare.
        ({"option_share": [[0.6, 0.15, 0.15, 0.1, 0.0]]}, ()),
        # A possible miskey needs evidence: in a 27-strong upper group, 15 on a distractor
        # against 5 on the key is beyond chance (p = 0.021); 14 against 6 is not (p = 0.058).
        ({"option_upper": [[5 / 27, 15 / 27, 0.1, 0.1, 0.0]]}, ("distractor-beats-key",)),
        ({"option_upper": [[6 / 27, 14 / 27, 0.1, 0.1, 0.0]]}, ()),
        ({"option_upper": [[0.4, 0.41, 0.1, 0.09, 0.0]]}, ()),
        ({"option_upper": [[0.4, 0.4, 0.1, 0.1, 0.0]]}, ()),
        # Ceiling and floor items are flagged as such, not as low discrimination.
        ({"facility": [0.97], "discrimination": [0.02]}, ("too-easy",)),
        ({"facility": [0.95], "discrimination": [0.02]}, ("low-discrimination",)),
        ({"facility": [0.15], "discrimination": [0.05]}, ("too-hard",)),
        ({"facility": [0.2], "discrimination": [0.05]}, ("low-discrimination",)),
        ({"responses": [29]}, ("too-few-responses",)),
        ({"responses": [29], "discrimination": [-0.5]}, ("too-few-responses",)),
        ({"responses": [30], "discrimination": [-0.5]}, ("low-discrimination",)),
    ],
)
def test_flag_thresholds(overrides, expected) -> None:
    assert flags_of(**overrides) == expected


def test_beats_key_p_values_are_the_one_sided_binomial_tail() -> None:
    # 8 of 9 upper-group members on C against 1 on the key B: P(X >= 8 | 9, 1/2) = 10/512.
    p = beats_key_p_values([[0.0, 1 / 9, 8 / 9, 0.0, 0.0]], [9.0], [1])
    assert p[0, 2] == pytest.approx(10 / 512)
    # The key's own column, and options nobody in the upper group chose with the key, get 1.
    assert p[0, 1] == 1.0
    assert p[0, 0] == pytest.approx(1.0)


def test_miskey_alpha_is_configurable_and_validated() -> None:
    stats = fake_stats(option_upper=[[6 / 27, 14 / 27, 0.1, 0.1, 0.0]])
    assert item_flags(stats, Thresholds(miskey_alpha=0.06))[0] == ("distractor-beats-key",)
    with pytest.raises(ValueError, match="miskey_alpha"):
        Thresholds(miskey_alpha=0.0)


def test_key_share_is_not_a_distractor() -> None:
    # The key itself below 5% is "too hard", not a non-functioning distractor.
    masks = flag_masks(
        fake_stats(facility=[0.04], option_share=[[0.04, 0.3, 0.3, 0.36, 0.0]]), Thresholds()
    )
    assert masks.too_hard[0]
    assert not masks.non_functioning[0]


def test_minimum_is_configurable_and_validated() -> None:
    assert item_flags(fake_stats(responses=[10]), Thresholds(min_responses=10))[0] == ()
    for bad in (0, -3, True, 2.5, "30"):
        with pytest.raises(ValueError, match="min_responses"):
            Thresholds(min_responses=bad)  # type: ignore[arg-type]


def test_summaries_are_json_and_withhold_numbers_below_the_minimum() -> None:
    attempt, item, choice, keys = hand_entries()
    scored = score_entries(attempt, item, choice, keys, 5)
    stats = item_stats(item, choice, scored.rest, keys)
    suppressed = item_summaries(stats, Thresholds())
    assert [s.flags for s in suppressed] == [("too-few-responses",)] * 3
    assert suppressed[0].facility is None
    assert suppressed[0].values == {
        "answer": 0,
        "min_responses": 30,
        "suppressed": True,
    }
    shown = item_summaries(stats, Thresholds(min_responses=5))
    first = shown[0]
    assert (first.index, first.responses, first.facility) == (0, 5, 0.6)
    assert first.discrimination == 0.6455
    assert first.values["option_count"] == [3, 1, 0, 0, 1]
    assert first.values["option_r"][2] is None
    assert first.values["non_functioning"] == ["C", "D"]
    json.dumps([s.values for s in shown], allow_nan=False)


def test_summaries_skip_items_nobody_saw() -> None:
    stats = item_stats([1, 1], [0, 1], [0.2, 0.4], [0, 0, 0])
    assert [s.index for s in item_summaries(stats, Thresholds(min_responses=1))] == [1]


def test_every_flag_has_a_sentence_with_its_numbers() -> None:
    values = {
        "answer": 1,
        "min_responses": 30,
        "option_share": [0.02, 0.5, 0.2, 0.28, 0.0],
        "option_upper": [0.0, 0.3, 0.6, 0.1, 0.0],
        "group_size": 27.0,
        "beats_key": ["C", "D"],
        "non_functioning": ["A"],
    }
    text = {
        code: describe_flag(code, responses=12, facility=0.97, discrimination=-0.21, values=values)
        for code in FLAG_LABELS
    }
    assert "12" in text["too-few-responses"]
    assert "30" in text["too-few-responses"]
    assert "-0.21" in text["low-discrimination"]
    assert "negative" in text["low-discrimination"]
    assert (
        "distractors C (60%, p = 0.076) and D (10%, p = 0.967) were"
        in (text["distractor-beats-key"])
    )
    assert "key B (30%), beyond chance" in text["distractor-beats-key"]
    assert "ceiling effect" in text["too-easy"]
    assert "not a sign of a miskey" in text["too-easy"]
    assert "floor effect" in text["too-hard"]
    assert "Distractor A (2%) was chosen" in text["non-functioning-distractor"]
    assert "97%" in text["too-easy"]
    with pytest.raises(ValueError, match="unknown flag"):
        describe_flag("nope", responses=1, facility=None, discrimination=None, values={})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 1], [0], [0, 1], [0], 2), "same length"),
        (([0, 2], [0, 0], [0, 1], [0], 2), "attempt rows"),
        (([0, 1], [0, 5], [0, 1], [0], 2), "item columns"),
        (([0, 1], [0, 0], [0, 4], [0], 2), "choices"),
        (([0, 1], [0, 0], [0, -2], [0], 2), "choices"),
        (([0, 1], [0, 0], [0, 1], [4], 2), "keys"),
        (([0.5, 1], [0, 0], [0, 1], [0], 2), "integers"),
    ],
)
def test_score_entries_rejects_bad_input(args, message) -> None:
    with pytest.raises(ValueError, match=message):
        score_entries(*args)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0, 0], [0, 1], [0.5], [0]), {}, "same length"),
        (([0, 1], [0, 1], [0.5, 0.5], [0]), {}, "item columns"),
        (([0, 0], [0, 7], [0.5, 0.5], [0]), {}, "choices"),
        (([0, 0], [0, 1], [0.5, math.nan], [0]), {}, "rest scores"),
        (([0, 0], [0, 1], [0.5, 1.5], [0]), {}, "rest scores"),
        (([0, 0], [0, 1], [0.5, 0.2], [0]), {"rest_rank": [0, 1]}, "does not order"),
        (([0, 0], [0, 1], [0.5, 0.2], [0]), {"rest_rank": [1]}, "same length"),
        (([0, 0], [0, 1], [0.5, 0.2], [0]), {"rest_rank": [-1, 0]}, ">= 0"),
    ],
)
def test_item_stats_rejects_bad_input(args, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        item_stats(*args, **kwargs)


# --- Simulation: planted bad items are found, good ones are left alone --------------------------


def simulate(seed: int, n_candidates: int = 2000):
    """40 well-behaved items, one miskeyed (index 40) and one that measures nothing (41).

    Each candidate sees a random form of 25 of the 42 items. Good items follow a 2PL model
    (discrimination 1-2, difficulty -0.8..0.8) with wrong answers spread over the three
    distractors. The miskeyed item's stored key is A but its real answer is B. The flat
    item is answered right half the time whatever the ability.
    """
    rng = np.random.default_rng(seed)
    bank = 42
    a = rng.uniform(1.0, 2.0, bank)
    b = rng.uniform(-0.8, 0.8, bank)
    keys = rng.integers(0, 4, bank)
    keys[40], true_40 = 0, 1
    ability = rng.normal(0, 1, n_candidates)
    attempt, item, choice = [], [], []
    for person in range(n_candidates):
        shown = rng.choice(bank, 25, replace=False)
        p = 1 / (1 + np.exp(-1.7 * a[shown] * (ability[person] - b[shown])))
        p[shown == 41] = 0.5
        right = rng.random(25) < p
        real_key = np.where(shown == 40, true_40, keys[shown])
        wrong = (real_key + rng.integers(1, 4, 25)) % 4
        attempt += [person] * 25
        item += shown.tolist()
        choice += np.where(right, real_key, wrong).tolist()
    return np.array(attempt), np.array(item), np.array(choice), keys


@pytest.mark.parametrize("seed", [21, 22])
def test_simulation_flags_the_planted_items_and_only_them(seed) -> None:
    attempt, item, choice, keys = simulate(seed)
    scored = score_entries(attempt, item, choice, keys, 2000)
    stats = item_stats(item, choice, scored.rest, keys, rest_rank=scored.rest_rank)
    flags = item_flags(stats, Thresholds())
    # The miskeyed item: its distractor B beats the key A in the upper group beyond chance.
    # Few score on its stored key: under 20% it is a floor effect, and then not also "low
    # discrimination" (the correlation of a near-constant mark says little).
    assert "distractor-beats-key" in flags[40]
    floor = stats.facility[40] < 0.2
    assert ("too-hard" in flags[40]) == floor
    assert ("low-discrimination" in flags[40]) == (not floor)
    assert stats.discrimination[40] < 0
    assert "low-discrimination" in flags[41]
    assert abs(stats.discrimination[41]) < 0.15
    assert [i for i in range(40) if flags[i]] == []
    assert min(stats.discrimination[:40]) > 0.2


def per_group_reference(attempt, position, correct, group, n_groups):
    attempt, position, correct = map(np.asarray, (attempt, position, correct))
    label = np.asarray(group)[attempt]
    return [
        slot_matrix(attempt[label == g], position[label == g], correct[label == g])
        for g in range(n_groups)
    ]


def assert_same_matrices(got, expected) -> None:
    assert len(got) == len(expected)
    for (matrix, excluded), (want, want_excluded) in zip(got, expected, strict=True):
        assert excluded == want_excluded
        assert matrix.dtype == want.dtype
        assert matrix.shape == want.shape
        assert matrix.tobytes() == want.tobytes()


def test_slot_matrices_of_uniform_forms_equal_slot_matrix_per_group() -> None:
    rng = np.random.default_rng(13)
    attempt = np.repeat(np.arange(40), 6)
    position = np.tile(np.arange(1, 7), 40)
    correct = rng.random(attempt.size) < 0.6
    group = rng.integers(-1, 3, 40)
    got = ia.slot_matrices(attempt, position, correct, group, 3)
    assert_same_matrices(got, per_group_reference(attempt, position, correct, group, 3))
    assert sum(m.shape[0] for m, _ in got) == np.count_nonzero(group >= 0)


@pytest.mark.parametrize(
    "change",
    ["shuffled", "short form", "positions from 0", "attempt repeated", "one attempt", "empty"],
)
def test_slot_matrices_of_other_layouts_equal_slot_matrix_per_group(change) -> None:
    rng = np.random.default_rng(14)
    attempt = np.repeat(np.arange(30), 5)
    position = np.tile(np.arange(1, 6), 30)
    if change == "shuffled":
        order = rng.permutation(attempt.size)
        attempt, position = attempt[order], position[order]
    elif change == "short form":
        attempt, position = attempt[:-1], position[:-1]
    elif change == "positions from 0":
        position = position - 1
    elif change == "attempt repeated":
        attempt = np.repeat(np.arange(30) // 2 * 2, 5)
    elif change == "one attempt":
        attempt, position = attempt[:5], position[:5]
    elif change == "empty":
        attempt, position = attempt[:0], position[:0]
    correct = rng.random(attempt.size) < 0.5
    group = rng.integers(-1, 2, 30)
    got = ia.slot_matrices(attempt, position, correct, group, 2)
    assert_same_matrices(got, per_group_reference(attempt, position, correct, group, 2))


def test_slot_matrices_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        ia.slot_matrices([0, 0], [1], [True, False], [0], 1)
    with pytest.raises(ValueError, match="attempt rows"):
        ia.slot_matrices([0, 2], [1, 1], [True, False], [0, 0], 1)


def test_an_item_nobody_answered_has_no_flag_and_one_answer_is_counted() -> None:
    assert flags_of(responses=[0]) == ()
    assert flags_of(responses=[1]) == ("too-few-responses",)
    one = item_flags(fake_stats(responses=[1], discrimination=[-0.5]), Thresholds(min_responses=1))
    assert one == [("low-discrimination",)]
    summaries = item_summaries(fake_stats(responses=[1]), Thresholds())
    assert [(s.index, s.responses, s.values["suppressed"]) for s in summaries] == [(0, 1, True)]
