"""Grading an attempt: raw and percent correct per domain and sub-domain, with Wilson intervals."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain
from exam_engine.domain.grading import AttemptResult, GradedItem, Score, grade
from exam_engine.domain.stats import wilson_interval


def _blueprint() -> Blueprint:
    def domain(code: str, weight: int, letters: str) -> Domain:
        subs = tuple(Subdomain(f"{code}-{x}", code, f"{code} {x}") for x in letters)
        return Domain(code, f"Domain {code}", weight, subs)

    return Blueprint(
        name="aaism",
        title="AAISM",
        domains=(domain("D1", 31, "ABCDE"), domain("D2", 31, "ABC"), domain("D3", 38, "ABCDE")),
    )


def _item(
    position: int,
    subdomain: str,
    *,
    correct: bool = True,
    answered: bool = True,
    flagged: bool = False,
) -> GradedItem:
    return GradedItem(
        position=position,
        key=f"{subdomain}-{position:03d}",
        domain=subdomain.split("-")[0],
        subdomain=subdomain,
        correct=correct,
        answered=answered,
        flagged=flagged,
    )


def test_all_correct() -> None:
    items = [_item(i, "D1-A") for i in range(1, 6)]
    result = grade(items, _blueprint())
    assert (result.score.correct, result.score.total, result.score.percent) == (5, 5, 100.0)
    assert result.score.ci[1] == 100.0
    assert result.by_domain["D1"].percent == 100.0


def test_nothing_answered_scores_zero() -> None:
    items = [_item(i, "D2-B", correct=False, answered=False) for i in range(1, 8)]
    result = grade(items, _blueprint())
    assert (result.score.correct, result.score.total, result.score.percent) == (0, 7, 0.0)
    assert result.answered == 0
    assert result.unanswered_positions == tuple(range(1, 8))
    assert result.score.ci[0] == 0.0


def test_unanswered_counts_as_wrong_even_if_marked_correct() -> None:
    # Defensive: the service should never mark a blank correct, but a blank must never score.
    result = grade([_item(1, "D1-A", correct=True, answered=False)], _blueprint())
    assert result.score.correct == 0


def test_scores_per_domain_and_subdomain() -> None:
    items = [
        _item(1, "D1-A"),
        _item(2, "D1-A", correct=False),
        _item(3, "D1-B"),
        _item(4, "D2-C", correct=False, answered=False),
        _item(5, "D3-E"),
        _item(6, "D3-E", correct=False),
        _item(7, "D3-E"),
    ]
    result = grade(items, _blueprint())
    assert result.score == Score.of(4, 7)
    assert {c: (s.correct, s.total) for c, s in result.by_domain.items()} == {
        "D1": (2, 3),
        "D2": (0, 1),
        "D3": (2, 3),
    }
    assert {c: (s.correct, s.total) for c, s in result.by_subdomain.items()} == {
        "D1-A": (1, 2),
        "D1-B": (1, 1),
        "D2-C": (0, 1),
        "D3-E": (2, 3),
    }
    assert result.by_subdomain["D3-E"].percent == pytest.approx(200 / 3)


def test_ci_is_wilson_in_percent() -> None:
    items = [_item(i, "D3-A", correct=i <= 3) for i in range(1, 8)]
    lo, hi = wilson_interval(3, 7)
    assert grade(items, _blueprint()).by_subdomain["D3-A"].ci == pytest.approx((100 * lo, 100 * hi))


def test_subdomain_with_one_item_has_wide_interval() -> None:
    score = grade([_item(1, "D2-A")], _blueprint()).by_subdomain["D2-A"]
    assert score.percent == 100.0
    assert score.ci[0] < 25.0  # one right answer proves little


def test_order_follows_blueprint_not_input() -> None:
    items = [_item(1, "D3-B"), _item(2, "D1-C"), _item(3, "D2-A"), _item(4, "D1-A")]
    result = grade(items, _blueprint())
    assert list(result.by_domain) == ["D1", "D2", "D3"]
    assert list(result.by_subdomain) == ["D1-A", "D1-C", "D2-A", "D3-B"]


def test_only_present_areas_are_listed() -> None:
    result = grade([_item(1, "D2-B")], _blueprint())
    assert list(result.by_domain) == ["D2"]
    assert list(result.by_subdomain) == ["D2-B"]


def test_codes_unknown_to_blueprint_are_still_graded_last() -> None:
    items = [
        GradedItem(1, "X-1", "D9", "D9-Z", correct=True, answered=True, flagged=False),
        _item(2, "D1-A"),
    ]
    result = grade(items, _blueprint())
    assert list(result.by_domain) == ["D1", "D9"]
    assert list(result.by_subdomain) == ["D1-A", "D9-Z"]
    assert result.score.total == 2


def test_empty_attempt() -> None:
    result = grade([], _blueprint())
    assert result.score == Score(0, 0, 0.0, (0.0, 100.0))
    assert result.by_domain == {}
    assert result.by_subdomain == {}


def test_duplicate_positions_are_rejected() -> None:
    with pytest.raises(ValueError, match="two items at the same position"):
        grade([_item(1, "D1-A"), _item(1, "D1-B")], _blueprint())


def test_flagged_and_unanswered_positions_sorted() -> None:
    items = [
        _item(3, "D1-A", flagged=True),
        _item(1, "D1-A", answered=False, correct=False, flagged=True),
        _item(2, "D1-A", answered=False, correct=False),
    ]
    result = grade(items, _blueprint())
    assert result.flagged_positions == (1, 3)
    assert result.unanswered_positions == (1, 2)
    assert result.answered == 1


def test_to_dict_is_json_ready() -> None:
    items = [_item(1, "D1-A"), _item(2, "D1-A", correct=False), _item(3, "D2-B")]
    data = grade(items, _blueprint()).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["score"]["correct"] == 2
    assert data["score"]["total"] == 3
    assert data["score"]["percent"] == 66.67
    assert set(data["by_domain"]) == {"D1", "D2"}
    sub = data["by_subdomain"]["D1-A"]
    assert set(sub) == {"correct", "total", "percent", "ci"}
    assert sub["percent"] == 50.0
    lo, hi = wilson_interval(1, 2)
    assert sub["ci"] == [round(100 * lo, 2), round(100 * hi, 2)]


_CODES = ("D1-A", "D1-E", "D2-B", "D3-A", "D3-D")


@given(
    st.lists(
        st.tuples(st.sampled_from(_CODES), st.booleans(), st.booleans(), st.booleans()),
        max_size=90,
    )
)
def test_breakdowns_add_up(rows: list[tuple[str, bool, bool, bool]]) -> None:
    items = [
        _item(i, code, correct=correct, answered=answered, flagged=flagged)
        for i, (code, correct, answered, flagged) in enumerate(rows, start=1)
    ]
    result: AttemptResult = grade(items, _blueprint())
    for breakdown in (result.by_domain, result.by_subdomain):
        assert sum(s.total for s in breakdown.values()) == result.score.total == len(items)
        assert sum(s.correct for s in breakdown.values()) == result.score.correct
    for score in [result.score, *result.by_domain.values(), *result.by_subdomain.values()]:
        assert 0.0 <= score.ci[0] <= score.percent <= score.ci[1] <= 100.0
    assert result.score.correct == sum(c and a for _, c, a, _ in rows)
