"""Weak-area drills (Thompson sampling, item choice, mastery) and review scheduling (FSRS)."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler
from hypothesis import given, settings
from hypothesis import strategies as st

from exam_engine.domain import scheduling
from exam_engine.domain.assembly import BankIndex, PoolItem
from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain
from exam_engine.domain.drills import (
    DrillError,
    FinishedAttempt,
    Posterior,
    blueprint_shares,
    build_drill,
    difficulty_weights,
    mastery_over_time,
    posteriors,
    thompson_counts,
)
from exam_engine.domain.weak_areas import Observation, assess
from tests.support.properties import examples

T0 = datetime(2025, 3, 1, 15, 0, tzinfo=UTC)
LEVELS = ("easy", "medium", "hard")


def _blueprint() -> Blueprint:
    def domain(code: str, weight: int, letters: str) -> Domain:
        subs = tuple(Subdomain(f"{code}-{x}", code, f"{code} {x}") for x in letters)
        return Domain(code, f"Domain {code}", weight, subs)

    return Blueprint(
        name="aaism",
        title="AAISM",
        domains=(domain("D1", 31, "ABCDE"), domain("D2", 31, "ABC"), domain("D3", 38, "ABCDE")),
    )


BLUEPRINT = _blueprint()
CODES = BLUEPRINT.subdomain_codes


def _bank(per_subdomain: int = 9, codes: tuple[str, ...] = CODES) -> list[PoolItem]:
    return [
        PoolItem(f"{code}-{n:03d}", 1000 * i + n, code[:2], code, LEVELS[n % 3])
        for i, code in enumerate(codes)
        for n in range(per_subdomain)
    ]


def _obs(code: str, results: str, *, start: int = 0, at: datetime = T0) -> list[Observation]:
    return [
        Observation(f"{code}-{start + i:03d}", code[:2], code, ch == "1", at + timedelta(minutes=i))
        for i, ch in enumerate(results)
    ]


def _flat(alpha: float = 2.0, beta: float = 2.0) -> list[Posterior]:
    shares = blueprint_shares(BLUEPRINT)
    return [Posterior(c, c[:2], alpha, beta, shares[c]) for c in CODES]


# --- posteriors -------------------------------------------------------------------------------


def test_blueprint_shares_are_domain_share_times_inner_share() -> None:
    shares = blueprint_shares(BLUEPRINT)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["D2-A"] == pytest.approx(0.31 / 3)
    assert shares["D3-E"] == pytest.approx(0.38 / 5)


def test_posteriors_rebuild_the_weak_areas_model_by_hand() -> None:
    # D1: 3 of 5 in D1-A, 1 of 2 in D1-B -> domain rate (4 + 1) / (7 + 2).
    observations = _obs("D1-A", "11010") + _obs("D1-B", "10", start=50)
    standing = assess(observations, BLUEPRINT)
    by_code = {p.code: p for p in posteriors(standing, BLUEPRINT)}
    m = 5 / 9
    assert by_code["D1-A"].alpha == pytest.approx(4 * m + 3)
    assert by_code["D1-A"].beta == pytest.approx(4 * (1 - m) + 2)
    # With no items of its own, a sub-domain is its domain's prior.
    assert by_code["D1-C"].alpha == pytest.approx(4 * m)
    # An untouched domain has the flat Beta(2, 2).
    assert (by_code["D2-A"].alpha, by_code["D2-A"].beta) == pytest.approx((2.0, 2.0))
    for s in standing.standings:
        assert by_code[s.code].mean == pytest.approx(s.posterior_mean)


def test_posteriors_follow_another_prior_strength() -> None:
    observations = _obs("D2-B", "0001")
    standing = assess(observations, BLUEPRINT, prior_strength=10.0)
    post = {p.code: p for p in posteriors(standing, BLUEPRINT, prior_strength=10.0)}
    assert post["D2-B"].mean == pytest.approx(standing.standings[6].posterior_mean)
    assert post["D2-B"].alpha + post["D2-B"].beta == pytest.approx(14.0)


# --- Thompson sampling of sub-domain counts -----------------------------------------------------


def test_counts_fill_the_drill_within_caps_and_repeat_with_the_seed() -> None:
    capacity = dict.fromkeys(CODES, 50)
    first = thompson_counts(_flat(), 15, random.Random(3), capacity=capacity)
    again = thompson_counts(_flat(), 15, random.Random(3), capacity=capacity)
    assert first == again
    assert sum(first.values()) == 15
    assert max(first.values()) <= 5  # a third of the drill by default
    assert len(first) >= 3
    assert list(first) == [c for c in CODES if c in first]


def test_a_clearly_weak_subdomain_gets_the_most_slots() -> None:
    posts = [
        Posterior(p.code, p.domain, 1.0, 30.0, p.weight)
        if p.code == "D3-C"
        else Posterior(p.code, p.domain, 30.0, 1.0, p.weight)
        for p in _flat()
    ]
    capacity = dict.fromkeys(CODES, 50)
    for seed in range(20):
        counts = thompson_counts(posts, 15, random.Random(seed), capacity=capacity)
        assert counts["D3-C"] == 5


def test_blueprint_weight_tilts_equal_posteriors() -> None:
    # Same posterior everywhere: a D2 sub-domain (31/3 %) should beat a D1 one (31/5 %).
    totals: Counter[str] = Counter()
    for seed in range(200):
        totals.update(
            thompson_counts(_flat(5, 5), 6, random.Random(seed), capacity=dict.fromkeys(CODES, 9))
        )
    d2 = sum(totals[c] for c in CODES if c.startswith("D2")) / 3
    d1 = sum(totals[c] for c in CODES if c.startswith("D1")) / 5
    assert d2 > 1.3 * d1


def test_capacity_and_explicit_caps_are_respected() -> None:
    capacity = {"D1-A": 2, "D1-B": 1}
    counts = thompson_counts(_flat(), 15, random.Random(1), capacity=capacity)
    assert counts == {"D1-A": 2, "D1-B": 1}
    assert thompson_counts(_flat(), 4, random.Random(1), capacity={}) == {}
    # A cap too small to fill the drill is raised to fit the open sub-domains.
    two = thompson_counts(
        _flat()[:2], 10, random.Random(1), capacity=dict.fromkeys(CODES, 9), max_per_subdomain=2
    )
    assert two == {"D1-A": 5, "D1-B": 5}
    with pytest.raises(ValueError, match="item_count"):
        thompson_counts(_flat(), 0, random.Random(1), capacity=capacity)
    with pytest.raises(ValueError, match="max_per_subdomain"):
        thompson_counts(_flat(), 3, random.Random(1), capacity=capacity, max_per_subdomain=0)


def test_difficulty_mix_follows_the_posterior_mean() -> None:
    assert difficulty_weights(0.3)["hard"] == 0
    assert difficulty_weights(0.6)["medium"] > difficulty_weights(0.6)["easy"]
    assert difficulty_weights(0.85)["easy"] == 0


# --- building a drill -----------------------------------------------------------------------


@settings(max_examples=examples(60), deadline=None)
@given(
    requested=st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True),
    seed=st.integers(0, 2**31 - 1),
)
def test_a_drill_draws_only_from_the_requested_subdomains(requested: list[str], seed: int) -> None:
    index = BankIndex(_bank())
    drill = build_drill(index, _flat(), item_count=15, seed=seed, subdomains=requested)
    assert {item.subdomain for item in drill.items} <= set(requested)
    assert len(drill.items) == min(15, 9 * len(requested))
    assert len({item.key for item in drill.items}) == len(drill.items)
    assert [item.position for item in drill.items] == list(range(1, len(drill.items) + 1))
    assert all(sorted(item.option_order) == [0, 1, 2, 3] for item in drill.items)
    assert sum(drill.counts.values()) == len(drill.items)
    again = build_drill(index, _flat(), item_count=15, seed=seed, subdomains=requested)
    assert again == drill


def test_the_seed_changes_the_drill() -> None:
    index = BankIndex(_bank())
    forms = {
        tuple(
            (i.key, i.option_order)
            for i in build_drill(index, _flat(), item_count=15, seed=s).items
        )
        for s in range(5)
    }
    assert len(forms) == 5


def test_unseen_items_come_first_then_least_seen() -> None:
    index = BankIndex(_bank(per_subdomain=9, codes=("D1-A",)))
    seen = {f"D1-A-{n:03d}": 1 for n in range(5)}
    drill = build_drill(index, _flat(), item_count=4, seed=1, seen=seen, subdomains=["D1-A"])
    assert not {i.key for i in drill.items} & set(seen)
    # Only 4 unseen left for 6 slots: 2 seen ones, the least seen first.
    seen = {f"D1-A-{n:03d}": (1 if n < 3 else 5) for n in range(5)}
    drill = build_drill(index, _flat(), item_count=6, seed=1, seen=seen, subdomains=["D1-A"])
    keys = {i.key for i in drill.items}
    assert {f"D1-A-{n:03d}" for n in range(5, 9)} <= keys
    assert len(keys & {"D1-A-000", "D1-A-001", "D1-A-002"}) == 2


def test_a_weak_subdomain_is_drilled_on_easier_items() -> None:
    index = BankIndex(_bank(per_subdomain=30, codes=("D1-A",)))
    weak = [Posterior("D1-A", "D1", 1.0, 9.0, 0.06)]
    strong = [Posterior("D1-A", "D1", 9.0, 1.0, 0.06)]
    low = Counter(i.difficulty for i in build_drill(index, weak, item_count=9, seed=2).items)
    high = Counter(i.difficulty for i in build_drill(index, strong, item_count=9, seed=2).items)
    assert low == {"easy": 6, "medium": 3}
    assert high == {"medium": 3, "hard": 6}


def test_enemies_never_share_a_drill() -> None:
    items = [
        PoolItem("D1-A-000", 1, "D1", "D1-A", "easy", frozenset({"D1-A-001"})),
        PoolItem("D1-A-001", 2, "D1", "D1-A", "easy"),
        PoolItem("D1-A-002", 3, "D1", "D1-A", "medium"),
    ]
    for seed in range(20):
        drill = build_drill(BankIndex(items), _flat(), item_count=3, seed=seed)
        keys = {i.key for i in drill.items}
        assert not {"D1-A-000", "D1-A-001"} <= keys
        assert len(keys) == 2  # shorter, never an error


def test_bad_requests_are_drill_errors() -> None:
    index = BankIndex(_bank(codes=("D1-A",)))
    with pytest.raises(DrillError, match="^unknown sub-domain: D9-Z$"):
        build_drill(index, _flat(), item_count=5, seed=1, subdomains=["D1-A", "D9-Z"])
    with pytest.raises(DrillError, match="^unknown sub-domains: D9-Y, D9-Z$"):
        build_drill(index, _flat(), item_count=5, seed=1, subdomains=["D9-Y", "D9-Z"])
    with pytest.raises(DrillError, match="^no published items to drill in sub-domain D2-B$"):
        build_drill(index, _flat(), item_count=5, seed=1, subdomains=["D2-B"])
    with pytest.raises(ValueError, match="n_options"):
        build_drill(index, _flat(), item_count=5, seed=1, n_options=0)


# --- mastery over time -----------------------------------------------------------------------


def test_mastery_pools_attempts_in_finishing_order() -> None:
    first = FinishedAttempt(1, "mock", T0, tuple(_obs("D1-A", "0000")))
    second = FinishedAttempt(
        2, "drill", T0 + timedelta(days=1), tuple(_obs("D1-A", "1111", start=9))
    )
    points = mastery_over_time([second, first], BLUEPRINT)
    assert [p.attempt_id for p in points] == [1, 2]
    assert points[0].totals["D1-A"] == 4
    assert points[1].totals["D1-A"] == 8
    assert points[1].means["D1-A"] > points[0].means["D1-A"]
    expected = assess(list(first.observations) + list(second.observations), BLUEPRINT)
    assert points[1].means["D1-A"] == pytest.approx(expected.standings[0].posterior_mean)
    last = mastery_over_time([first, second], BLUEPRINT, last=1)
    assert last == points[1:]
    assert mastery_over_time([], BLUEPRINT) == ()


# --- ratings and scheduling ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("correct", "flagged", "seconds", "rating"),
    [
        (False, False, 10.0, Rating.Again),
        (False, True, 500.0, Rating.Again),
        (True, True, 10.0, Rating.Hard),
        (True, False, 181.0, Rating.Hard),
        (True, False, 180.0, Rating.Good),
        (True, False, None, Rating.Good),
    ],
)
def test_outcomes_map_to_ratings(
    correct: bool, flagged: bool, seconds: float | None, rating: Rating
) -> None:
    assert scheduling.rating_for(correct, flagged, seconds) == rating


def test_only_again_and_hard_enter_the_queue() -> None:
    assert scheduling.enters_queue(Rating.Again)
    assert scheduling.enters_queue(Rating.Hard)
    assert not scheduling.enters_queue(Rating.Good)


def test_due_dates_follow_the_fsrs_library_for_a_scripted_sequence() -> None:
    script = [
        (Rating.Again, T0),
        (Rating.Good, T0 + timedelta(days=1, hours=2)),
        (Rating.Hard, T0 + timedelta(days=4)),
        (Rating.Good, T0 + timedelta(days=9)),
        (Rating.Again, T0 + timedelta(days=30)),
        (Rating.Good, T0 + timedelta(days=31)),
    ]
    library = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card = Card(card_id=42, due=T0)
    state = None
    dues = []
    for rating, at in script:
        card, _ = library.review_card(card, rating, at)
        # Stored as JSON between reviews, as the database does.
        scheduled = scheduling.review(state, rating, at, card_id=42)
        state = json.loads(json.dumps(scheduled.state))
        assert scheduled.due == card.due
        assert state == json.loads(card.to_json())
        dues.append(scheduled.due)
    assert dues[0] == T0 + timedelta(days=1)  # a miss comes back tomorrow
    assert dues == sorted(dues[:4]) + dues[4:]


def test_a_review_dated_before_the_last_one_is_moved_to_it() -> None:
    first = scheduling.review(None, Rating.Good, T0, card_id=1)
    late = scheduling.review(first.state, Rating.Again, T0 - timedelta(hours=3), card_id=1)
    assert late.reviewed_at == T0
    assert late.state["last_review"] == T0.isoformat()


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        scheduling.review(None, Rating.Good, datetime(2025, 1, 1), card_id=1)


def test_answer_seconds_measures_from_the_previous_save() -> None:
    saves = [
        (2, T0 + timedelta(seconds=100), True),
        (1, T0 + timedelta(seconds=30), True),
        (1, T0 + timedelta(seconds=150), False),  # unanswered again: activity only
        (3, T0 + timedelta(seconds=400), True),
        (1, T0 + timedelta(seconds=420), True),  # a change, not a first answer
    ]
    assert scheduling.answer_seconds(T0, saves) == {1: 30.0, 2: 70.0, 3: 250.0}
    assert scheduling.answer_seconds(T0, []) == {}


def test_due_cutoff_is_the_next_utc_midnight() -> None:
    assert scheduling.due_cutoff(T0) == datetime(2025, 3, 2, tzinfo=UTC)
    late = datetime(2025, 3, 1, 23, 59, 59, tzinfo=UTC)
    assert scheduling.due_cutoff(late) == datetime(2025, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([], 0),
        ([date(2025, 3, 1)], 1),
        ([date(2025, 3, 1), date(2025, 2, 28), date(2025, 2, 27), date(2025, 2, 25)], 3),
        ([date(2025, 2, 28), date(2025, 2, 27)], 2),  # today not yet: still alive
        ([date(2025, 2, 27)], 0),  # a whole day missed
        ([date(2025, 3, 2)], 0),  # a future day does not count
    ],
)
def test_streak_counts_consecutive_days_up_to_today(days: list[date], expected: int) -> None:
    assert scheduling.streak(days, date(2025, 3, 1)) == expected


@given(seed=st.integers(0, 2**31 - 1), left_out=st.sets(st.sampled_from(_bank(4)), max_size=40))
@settings(max_examples=examples(40))
def test_a_drill_never_draws_a_left_out_item(seed: int, left_out: set[PoolItem]) -> None:
    index = BankIndex(_bank(4))
    keys = {item.key for item in left_out}
    drill = build_drill(index, _flat(), item_count=15, seed=seed, exclude=keys)
    assert not {item.key for item in drill.items} & keys
    # Only the left-out items are lost: 52 - 40 still fill every slot.
    assert len(drill.items) == 15


def test_a_drill_with_every_item_left_out_is_refused() -> None:
    bank = _bank(2, codes=("D1-A",))
    with pytest.raises(DrillError, match="no published items"):
        build_drill(BankIndex(bank), _flat(), item_count=3, seed=1, exclude={i.key for i in bank})
