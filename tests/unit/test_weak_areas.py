"""Weak areas: shrunk Beta posteriors per sub-domain, pooled over first exposures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain
from exam_engine.domain.weak_areas import (
    Observation,
    SubdomainStanding,
    assess,
    classify,
    first_exposures,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _blueprint() -> Blueprint:
    def domain(code: str, weight: int, letters: str) -> Domain:
        subs = tuple(Subdomain(f"{code}-{x}", code, f"{code} {x}") for x in letters)
        return Domain(code, f"Domain {code}", weight, subs)

    return Blueprint(
        name="aaism",
        title="AAISM",
        domains=(domain("D1", 31, "ABCDE"), domain("D2", 31, "ABC"), domain("D3", 38, "ABCDE")),
    )


def _obs(subdomain: str, results: str, *, start: int = 0, hours: int = 0) -> list[Observation]:
    """Observations from a string like "1101" (1 = correct), one item key each."""
    return [
        Observation(
            key=f"{subdomain}-{start + i:03d}",
            domain=subdomain.split("-")[0],
            subdomain=subdomain,
            correct=ch == "1",
            seen_at=T0 + timedelta(hours=hours, minutes=i),
        )
        for i, ch in enumerate(results)
    ]


def _by_code(observations: list[Observation], **kwargs: float) -> dict[str, SubdomainStanding]:
    standing = assess(observations, _blueprint(), **kwargs)
    return {s.code: s for s in standing.standings}


def test_first_exposure_wins_over_repeats() -> None:
    first = Observation("K-1", "D1", "D1-A", correct=False, seen_at=T0)
    repeat = Observation("K-1", "D1", "D1-A", correct=True, seen_at=T0 + timedelta(days=2))
    # Given out of order, the earliest still wins.
    assert first_exposures([repeat, first]) == [first]
    standing = assess([repeat, first], _blueprint())
    d1a = standing.standings[0]
    assert (d1a.correct, d1a.total) == (0, 1)


def test_first_exposure_tie_keeps_first_given() -> None:
    a = Observation("K-1", "D1", "D1-A", correct=True, seen_at=T0)
    b = Observation("K-1", "D1", "D1-A", correct=False, seen_at=T0)
    assert first_exposures([a, b]) == [a]


def test_posterior_matches_hand_computation() -> None:
    # D1: 3 of 5 in D1-A, 1 of 2 in D1-B -> domain 4 of 7.
    observations = _obs("D1-A", "11010") + _obs("D1-B", "10", start=50)
    standing = assess(observations, _blueprint(), target=0.65, prior_strength=4.0)
    m = (4 + 1) / (7 + 2)
    assert standing.domain_rates["D1"] == pytest.approx(m)
    a, b = 4 * m + 3, 4 * (1 - m) + 2
    d1a = standing.standings[0]
    assert d1a.code == "D1-A"
    assert (d1a.correct, d1a.total) == (3, 5)
    assert d1a.posterior_mean == pytest.approx(a / (a + b))
    assert d1a.p_below_target == pytest.approx(float(scipy_stats.beta.cdf(0.65, a, b)), abs=1e-12)
    share = 0.31 * (1 / 5)
    assert d1a.priority == pytest.approx(share * (0.65 - a / (a + b)))


def test_unseen_subdomain_gets_domain_prior_but_needs_items() -> None:
    standing = assess(_obs("D2-A", "0000000"), _blueprint())
    d2b = next(s for s in standing.standings if s.code == "D2-B")
    m = 1 / 9
    assert d2b.total == 0
    assert d2b.posterior_mean == pytest.approx(m)
    assert d2b.p_below_target == pytest.approx(
        float(scipy_stats.beta.cdf(0.65, 4 * m, 4 * (1 - m)))
    )
    assert d2b.p_below_target > 0.8  # the prior alone would say weak ...
    assert d2b.status == "needs more items"  # ... but it has no evidence of its own


def test_statuses() -> None:
    observations = _obs("D1-A", "0000000") + _obs("D2-A", "1111111", start=100)
    standings = _by_code(observations + _obs("D3-A", "1", start=200))
    assert standings["D1-A"].status == "weak"
    assert standings["D2-A"].status == "strong"
    assert standings["D3-A"].status == "needs more items"


def test_standings_cover_blueprint_in_order() -> None:
    standing = assess([], _blueprint())
    assert [s.code for s in standing.standings] == list(_blueprint().subdomain_codes)
    assert all(s.status == "needs more items" for s in standing.standings)
    assert standing.weak_areas == ()
    assert (standing.correct, standing.total) == (0, 0)
    # Empty data: every domain rate is the smoothed 1/2 and the posterior is Beta(2, 2).
    assert all(s.posterior_mean == pytest.approx(0.5) for s in standing.standings)


def test_weak_areas_ranked_by_weight_times_gap_and_drill_order() -> None:
    # D2 has 3 sub-domains (weight 31/3 each), D1 has 5 (31/5 each): at the same gap, D2 first.
    observations = (
        _obs("D1-A", "0000000")
        + _obs("D2-A", "0000000", start=100)
        + _obs("D3-C", "1111111", start=200)
        + _obs("D3-D", "10", start=300)
    )
    standing = assess(observations, _blueprint())
    assert [s.code for s in standing.weak_areas] == ["D2-A", "D1-A"]
    priorities = [s.priority for s in standing.weak_areas]
    assert priorities == sorted(priorities, reverse=True)
    assert standing.next_drill[:2] == ("D2-A", "D1-A")
    assert "D3-C" not in standing.next_drill  # strong areas are never suggested
    needs_more = [s for s in standing.standings if s.status == "needs more items"]
    assert set(standing.next_drill[2:]) == {s.code for s in needs_more}
    rest = [next(s for s in needs_more if s.code == c).priority for c in standing.next_drill[2:]]
    assert rest == sorted(rest, reverse=True)


def test_subdomain_weights_inside_domain_change_priority() -> None:
    subs = (Subdomain("A-1", "A", "one", weight=3), Subdomain("A-2", "A", "two", weight=1))
    blueprint = Blueprint("x", "X", (Domain("A", "A", 1, subs),))
    observations = _obs("A-1", "0000000") + _obs("A-2", "0000000", start=10)
    standing = assess(observations, blueprint)
    a1, a2 = standing.standings
    assert a1.posterior_mean == pytest.approx(a2.posterior_mean)
    assert a1.priority == pytest.approx(3 * a2.priority)
    assert [s.code for s in standing.weak_areas] == ["A-1", "A-2"]


def test_target_and_thresholds_are_configurable() -> None:
    observations = _obs("D1-A", "1111100")  # 5 of 7
    low = _by_code(observations, target=0.4)["D1-A"]
    high = _by_code(observations, target=0.9)["D1-A"]
    assert low.status == "strong"
    assert high.status == "weak"
    mid = _by_code(observations, target=0.65)["D1-A"]
    p = mid.p_below_target
    assert _by_code(observations, weak_at=p, strong_at=0.0)["D1-A"].status == "weak"


def test_prior_strength_pulls_toward_domain_rate() -> None:
    # D1-A is 0 of 2 while the rest of D1 is 9 of 10: a strong prior pulls D1-A up.
    observations = _obs("D1-A", "00") + _obs("D1-B", "1111111110", start=10)
    weak_prior = _by_code(observations, prior_strength=1.0)["D1-A"]
    strong_prior = _by_code(observations, prior_strength=50.0)["D1-A"]
    assert strong_prior.posterior_mean > weak_prior.posterior_mean


def test_unknown_subdomains_are_ignored() -> None:
    observations = _obs("D9-Z", "0000") + _obs("D1-A", "1", start=10)
    standing = assess(observations, _blueprint())
    assert (standing.correct, standing.total) == (1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": 0.0}, r"target must be in \(0, 1\), got 0.0"),
        ({"target": 1.0}, r"target must be in \(0, 1\), got 1.0"),
        ({"prior_strength": 0.0}, "prior_strength must be > 0, got 0.0"),
        ({"weak_at": 0.2, "strong_at": 0.2}, "strong_at < weak_at <= 1, got 0.2, 0.2"),
        ({"weak_at": 1.1}, "got .*, 1.1"),
        ({"strong_at": -0.1}, "got -0.1, "),
    ],
)
def test_rejects_bad_parameters(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        assess([], _blueprint(), **kwargs)


def test_to_dict_is_json_ready() -> None:
    data = assess(_obs("D1-A", "0000000"), _blueprint()).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["weak_areas"] == ["D1-A"]
    assert data["standings"][0]["status"] == "weak"


_SUBS = ("D1-A", "D1-B", "D2-C", "D3-E")
results = st.lists(st.tuples(st.sampled_from(_SUBS), st.booleans()), max_size=60)


def _from_rows(rows: list[tuple[str, bool]]) -> list[Observation]:
    return [
        Observation(f"K-{i}", code.split("-")[0], code, correct, T0 + timedelta(minutes=i))
        for i, (code, correct) in enumerate(rows)
    ]


@given(results)
def test_status_agrees_with_thresholds(rows: list[tuple[str, bool]]) -> None:
    standing = assess(_from_rows(rows), _blueprint())
    for s in standing.standings:
        assert 0.0 <= s.p_below_target <= 1.0
        assert 0.0 < s.posterior_mean < 1.0
        if s.total == 0 or 0.2 < s.p_below_target < 0.8:
            assert s.status == "needs more items"
        elif s.p_below_target >= 0.8:
            assert s.status == "weak"
        else:
            assert s.status == "strong"
    assert all(s.status == "weak" for s in standing.weak_areas)


@given(results, st.sampled_from(_SUBS))
def test_one_more_correct_never_raises_p_below(rows: list[tuple[str, bool]], code: str) -> None:
    before = _by_code(_from_rows(rows))[code]
    after = _by_code(_from_rows([*rows, (code, True)]))[code]
    assert after.p_below_target <= before.p_below_target + 1e-12


@given(results)
def test_repeats_of_seen_items_change_nothing(rows: list[tuple[str, bool]]) -> None:
    observations = _from_rows(rows)
    later = [
        Observation(o.key, o.domain, o.subdomain, not o.correct, o.seen_at + timedelta(days=7))
        for o in observations
    ]
    assert assess(observations + later, _blueprint()) == assess(observations, _blueprint())


def test_classify_boundaries_are_inclusive() -> None:
    assert classify(0.8, 5, weak_at=0.8, strong_at=0.2) == "weak"
    assert classify(0.2, 5, weak_at=0.8, strong_at=0.2) == "strong"
    assert classify(0.5, 5, weak_at=0.8, strong_at=0.2) == "needs more items"
    assert classify(0.99, 0, weak_at=0.8, strong_at=0.2) == "needs more items"


def test_extreme_but_valid_thresholds_are_accepted() -> None:
    standing = assess([], _blueprint(), target=0.7, weak_at=1.0, strong_at=0.0)
    assert standing.target == 0.7
    assert {s.status for s in standing.standings} == {"needs more items"}
