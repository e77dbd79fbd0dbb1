"""Largest-remainder apportionment: exact quotas, the documented tie-break, sub-domain coverage."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exam_engine.domain.apportion import (
    apportion_subdomains,
    difficulty_shares,
    largest_remainder,
    template_counts,
)
from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain, TemplateSpec
from exam_engine.domain.errors import BlueprintError

F = Fraction


def _aaism() -> Blueprint:
    def domain(code: str, weight: int, letters: str) -> Domain:
        subs = tuple(Subdomain(f"{code}-{x}", code, f"{code} {x}") for x in letters)
        return Domain(code, f"Domain {code}", weight, subs)

    return Blueprint(
        name="aaism",
        title="AAISM",
        domains=(domain("D1", 31, "ABCDE"), domain("D2", 31, "ABC"), domain("D3", 38, "ABCDE")),
    )


def _template(item_count: int = 90, **kwargs: object) -> TemplateSpec:
    return TemplateSpec(name="t", title="T", item_count=item_count, minutes=60, **kwargs)  # type: ignore[arg-type]


weight_maps = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=2),
    st.fractions(min_value=0, max_value=50, max_denominator=12),
    min_size=1,
    max_size=8,
).filter(lambda w: sum(w.values()) > 0)


# --- largest_remainder: concrete cases -------------------------------------------------------


def test_full_mock_is_28_28_34() -> None:
    weights = {"D1": F(31), "D2": F(31), "D3": F(38)}
    assert largest_remainder(90, weights, ["D1", "D2", "D3"]) == {"D1": 28, "D2": 28, "D3": 34}


def test_weights_need_not_sum_to_one() -> None:
    as_shares = {"D1": F(31, 100), "D2": F(31, 100), "D3": F(38, 100)}
    as_points = {"D1": F(31), "D2": F(31), "D3": F(38)}
    order = ["D1", "D2", "D3"]
    assert largest_remainder(90, as_shares, order) == largest_remainder(90, as_points, order)


def test_quiz_of_20_gives_the_seat_to_the_largest_remainder() -> None:
    # Quotas 6.2 / 6.2 / 7.6: the one seat left goes to D3's 0.6.
    weights = {"D1": F(31), "D2": F(31), "D3": F(38)}
    assert largest_remainder(20, weights, ["D1", "D2", "D3"]) == {"D1": 6, "D2": 6, "D3": 8}


def test_tie_break_first_rule_larger_remainder() -> None:
    assert largest_remainder(1, {"a": F(1, 3), "b": F(2, 3)}, ["a", "b"]) == {"a": 0, "b": 1}


def test_tie_break_second_rule_larger_weight_on_equal_remainders() -> None:
    # Quotas 1.5 and 0.5: equal remainders, so the heavier key wins wherever it is in order.
    weights = {"x": F(3, 4), "y": F(1, 4)}
    assert largest_remainder(2, weights, ["y", "x"]) == {"y": 0, "x": 2}
    assert largest_remainder(2, weights, ["x", "y"]) == {"x": 2, "y": 0}


def test_tie_break_third_rule_earlier_in_order() -> None:
    weights = {"a": F(1), "b": F(1), "c": F(1)}
    assert largest_remainder(1, weights, ["b", "c", "a"]) == {"b": 1, "c": 0, "a": 0}
    assert largest_remainder(2, weights, ["c", "a", "b"]) == {"c": 1, "a": 1, "b": 0}


def test_result_follows_order() -> None:
    result = largest_remainder(10, {"a": F(1), "b": F(2), "c": F(3)}, ["c", "a", "b"])
    assert list(result) == ["c", "a", "b"]


def test_zero_total_and_zero_weight() -> None:
    assert largest_remainder(0, {"a": F(1), "b": F(1)}, ["a", "b"]) == {"a": 0, "b": 0}
    assert largest_remainder(5, {"a": F(0), "b": F(1)}, ["a", "b"]) == {"a": 0, "b": 5}


@pytest.mark.parametrize(
    ("total", "weights", "order", "message"),
    [
        (-1, {"a": F(1)}, ["a"], "cannot apportion a negative total (-1)"),
        (3, {"a": F(1), "b": F(1)}, ["a"], "order must list every weighted key exactly once"),
        (3, {"a": F(1)}, ["a", "a"], "order must list every weighted key exactly once"),
        (3, {"a": F(1)}, ["b"], "order must list every weighted key exactly once"),
        (3, {"a": F(-1), "b": F(2)}, ["a", "b"], "weights must not be negative"),
        (3, {"a": F(0), "b": F(0)}, ["a", "b"], "weights must have a positive sum"),
    ],
)
def test_bad_arguments_are_refused(
    total: int, weights: dict[str, Fraction], order: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        largest_remainder(total, weights, order)


# --- largest_remainder: properties -----------------------------------------------------------


@given(total=st.integers(0, 500), weights=weight_maps, data=st.data())
def test_seats_sum_to_total_and_stay_within_quota(
    total: int, weights: dict[str, Fraction], data: st.DataObject
) -> None:
    order = data.draw(st.permutations(sorted(weights)))
    seats = largest_remainder(total, weights, order)
    weight_sum = sum(weights.values())
    assert sum(seats.values()) == total
    for key, n in seats.items():
        quota = total * weights[key] / weight_sum
        assert math.floor(quota) <= n <= math.ceil(quota)


@given(total=st.integers(0, 500), weights=weight_maps, data=st.data())
def test_extra_seats_follow_the_documented_tie_break(
    total: int, weights: dict[str, Fraction], data: st.DataObject
) -> None:
    order = data.draw(st.permutations(sorted(weights)))
    seats = largest_remainder(total, weights, order)
    weight_sum = sum(weights.values())

    def rank(key: str) -> tuple[Fraction, Fraction, int]:
        quota = total * weights[key] / weight_sum
        return (quota - math.floor(quota), weights[key], -order.index(key))

    winners = [k for k in order if seats[k] > total * weights[k] / weight_sum]
    losers = [k for k in order if seats[k] == math.floor(total * weights[k] / weight_sum)]
    for winner in winners:
        for loser in losers:
            if rank(loser)[0] > 0:
                assert rank(winner) > rank(loser)


@given(total=st.integers(0, 300), weights=weight_maps, scale=st.integers(1, 9))
def test_scaling_every_weight_changes_nothing(
    total: int, weights: dict[str, Fraction], scale: int
) -> None:
    order = sorted(weights)
    scaled = {k: w * scale for k, w in weights.items()}
    assert largest_remainder(total, scaled, order) == largest_remainder(total, weights, order)


# --- apportion_subdomains --------------------------------------------------------------------


def _subs(*weights: int) -> tuple[Subdomain, ...]:
    return tuple(Subdomain(f"D9-{chr(65 + i)}", "D9", "t", w) for i, w in enumerate(weights))


def test_equal_subdomains_share_by_largest_remainder() -> None:
    counts = apportion_subdomains(28, _subs(1, 1, 1, 1, 1))
    assert counts == {"D9-A": 6, "D9-B": 6, "D9-C": 6, "D9-D": 5, "D9-E": 5}


def test_light_subdomain_still_gets_one_item() -> None:
    # Plain largest remainder gives 3 / 0 / 0; coverage moves one seat at a time off D9-A.
    assert largest_remainder(3, {"a": F(10), "b": F(1), "c": F(1)}, "abc") == {
        "a": 3,
        "b": 0,
        "c": 0,
    }
    assert apportion_subdomains(3, _subs(10, 1, 1)) == {"D9-A": 1, "D9-B": 1, "D9-C": 1}
    assert apportion_subdomains(5, _subs(10, 1, 1)) == {"D9-A": 3, "D9-B": 1, "D9-C": 1}


def test_the_donor_is_the_subdomain_most_over_its_quota() -> None:
    # Seats 0, 2, 2 against quotas 0.5, 1.5, 2: D9-B is 0.5 over, D9-C exactly on quota.
    assert apportion_subdomains(4, _subs(1, 3, 4)) == {"D9-A": 1, "D9-B": 1, "D9-C": 2}


def test_the_donor_is_the_one_most_over_its_quota_not_the_one_with_most_seats() -> None:
    # Seats 0, 2, 3 against quotas 5/9, 15/9, 25/9: D9-B is 1/3 over, D9-C only 2/9.
    assert apportion_subdomains(5, _subs(1, 3, 5)) == {"D9-A": 1, "D9-B": 1, "D9-C": 3}


def test_the_donor_with_more_seats_gives_when_it_is_further_over_its_quota() -> None:
    # Seats 0, 2, 4 against quotas 0.6, 1.8, 3.6: D9-C is 0.4 over, D9-B 0.2.
    assert apportion_subdomains(6, _subs(1, 3, 6)) == {"D9-A": 1, "D9-B": 2, "D9-C": 3}


def test_between_equally_over_donors_the_later_one_gives() -> None:
    # Seats 0, 2, 2 against quotas 4/21, 40/21, 40/21.
    assert apportion_subdomains(4, _subs(1, 10, 10)) == {"D9-A": 1, "D9-B": 2, "D9-C": 1}


def test_too_few_items_for_coverage_falls_back_to_plain_largest_remainder() -> None:
    assert apportion_subdomains(2, _subs(1, 1, 1)) == {"D9-A": 1, "D9-B": 1, "D9-C": 0}


def test_subdomain_weight_must_be_positive() -> None:
    with pytest.raises(BlueprintError, match="D9-B"):
        apportion_subdomains(5, _subs(1, 0))


@given(count=st.integers(0, 120), weights=st.lists(st.integers(1, 20), min_size=1, max_size=8))
def test_subdomain_split_sums_and_covers(count: int, weights: list[int]) -> None:
    subs = _subs(*weights)
    seats = apportion_subdomains(count, subs)
    assert list(seats) == [s.code for s in subs]
    assert sum(seats.values()) == count
    if count >= len(subs):
        assert min(seats.values()) >= 1
    plain = largest_remainder(count, {s.code: F(s.weight) for s in subs}, [s.code for s in subs])
    if count < len(subs) or min(plain.values()) >= 1:
        assert seats == plain


# --- template_counts and difficulty_shares ----------------------------------------------------


def test_full_template_counts() -> None:
    by_domain, by_subdomain = template_counts(_aaism(), _template(90))
    assert by_domain == {"D1": 28, "D2": 28, "D3": 34}
    assert by_subdomain == {
        "D1-A": 6,
        "D1-B": 6,
        "D1-C": 6,
        "D1-D": 5,
        "D1-E": 5,
        "D2-A": 10,
        "D2-B": 9,
        "D2-C": 9,
        "D3-A": 7,
        "D3-B": 7,
        "D3-C": 7,
        "D3-D": 7,
        "D3-E": 6,
    }


def test_drill_template_uses_its_own_weights() -> None:
    by_domain, by_subdomain = template_counts(_aaism(), _template(20, domain_weights={"D1": 1}))
    assert by_domain == {"D1": 20}
    assert by_subdomain == {"D1-A": 4, "D1-B": 4, "D1-C": 4, "D1-D": 4, "D1-E": 4}


def test_subdomain_filter_narrows_the_form() -> None:
    template = _template(10, subdomains=("D2-B", "D3-A", "D3-C"))
    by_domain, by_subdomain = template_counts(_aaism(), template)
    # D1 has no sub-domain left, so D2 and D3 share 31 : 38.
    assert by_domain == {"D2": 4, "D3": 6}
    assert by_subdomain == {"D2-B": 4, "D3-A": 3, "D3-C": 3}


def test_unknown_subdomain_and_empty_template_are_refused() -> None:
    with pytest.raises(BlueprintError, match="D4-A"):
        template_counts(_aaism(), _template(10, subdomains=("D4-A",)))
    with pytest.raises(BlueprintError, match="0 items"):
        template_counts(_aaism(), _template(0))


def test_difficulty_shares_are_exact() -> None:
    mix = {"easy": 0.1, "medium": 0.2, "hard": 0.7}
    assert difficulty_shares(_template(difficulty_mix=mix)) == {
        "easy": F(1, 10),
        "medium": F(1, 5),
        "hard": F(7, 10),
    }
    assert difficulty_shares(_template(difficulty_mix={"hard": 3, "easy": 1})) == {
        "easy": F(1, 4),
        "hard": F(3, 4),
    }
    assert difficulty_shares(_template()) == {}


@pytest.mark.parametrize(
    ("mix", "message"),
    [
        ({"brutal": 1.0}, r"unknown difficulties: \['brutal'\]"),
        ({"easy": -0.5, "hard": 1.0}, "gives easy the share -0.5"),
        ({"easy": math.nan}, "gives easy the share nan"),
        ({"easy": 0.0}, "summing to 0"),
    ],
)
def test_bad_difficulty_mix_is_refused(mix: dict[str, float], message: str) -> None:
    with pytest.raises(BlueprintError, match=message):
        difficulty_shares(_template(difficulty_mix=mix))
