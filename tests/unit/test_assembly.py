"""Form assembly: exact counts, no enemies together, seen items last, same seed same form."""

from __future__ import annotations

import collections
import json
import os
import pickle
import random
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exam_engine.domain import apportion
from exam_engine.domain.apportion import largest_remainder, template_counts
from exam_engine.domain.assembly import BankIndex, Form, PoolItem, assemble
from exam_engine.domain.blueprint import DIFFICULTIES, Blueprint, Domain, Subdomain, TemplateSpec
from exam_engine.domain.errors import AssemblyError, DomainError, Shortage
from tests.support.properties import examples

REPO = Path(__file__).resolve().parents[2]
MIX = {"easy": 0.25, "medium": 0.5, "hard": 0.25}


def _aaism() -> Blueprint:
    def domain(code: str, weight: int, letters: str) -> Domain:
        subs = tuple(Subdomain(f"{code}-{x}", code, f"{code} {x}") for x in letters)
        return Domain(code, f"Domain {code}", weight, subs)

    full = TemplateSpec("aaism-full", "Full mock", 90, 180, difficulty_mix=MIX)
    return Blueprint(
        name="aaism",
        title="AAISM",
        domains=(domain("D1", 31, "ABCDE"), domain("D2", 31, "ABC"), domain("D3", 38, "ABCDE")),
        templates=(full,),
    )


def _bank(blueprint: Blueprint, per_stratum: int, *, seed: int = 0) -> list[PoolItem]:
    rng = random.Random(seed)
    items = []
    for domain in blueprint.domains:
        for sub in domain.subdomains:
            for level in DIFFICULTIES:
                for i in range(per_stratum):
                    key = f"{sub.code}-{level[0]}{i:03d}"
                    items.append(PoolItem(key, rng.randrange(10**6), domain.code, sub.code, level))
    return items


def _one_subdomain(count: int) -> tuple[Blueprint, TemplateSpec]:
    blueprint = Blueprint("b", "B", (Domain("D1", "D", 1, (Subdomain("D1-A", "D1", "A"),)),))
    return blueprint, TemplateSpec("t", "T", count, 10)


# --- random scenarios ------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    blueprint: Blueprint
    template: TemplateSpec
    items: tuple[PoolItem, ...]
    seen: dict[str, int]
    usage: dict[str, int]
    cap: int | None
    seed: int
    n_options: int

    def run(self, items: tuple[PoolItem, ...] | list[PoolItem] | None = None) -> Form:
        return assemble(
            BankIndex(self.items if items is None else items),
            self.blueprint,
            self.template,
            seed=self.seed,
            seen=self.seen,
            usage=self.usage,
            exposure_cap=self.cap,
            n_options=self.n_options,
        )

    def capped(self, key: str) -> bool:
        return self.cap is not None and self.usage.get(key, 0) >= self.cap


@st.composite
def blueprints(draw: st.DrawFn) -> Blueprint:
    domains = []
    for d in range(1, draw(st.integers(1, 3)) + 1):
        code = f"D{d}"
        n_subs = draw(st.integers(1, 4))
        subs = tuple(
            Subdomain(f"{code}-{chr(65 + s)}", code, "t", draw(st.integers(1, 3)))
            for s in range(n_subs)
        )
        domains.append(Domain(code, "t", draw(st.integers(1, 50)), subs))
    return Blueprint("bp", "BP", tuple(domains))


@st.composite
def templates(draw: st.DrawFn, blueprint: Blueprint, *, mix: bool | None = None) -> TemplateSpec:
    codes = blueprint.subdomain_codes
    subdomains: tuple[str, ...] = ()
    if draw(st.booleans()):
        chosen = set(draw(st.lists(st.sampled_from(codes), min_size=1, unique=True)))
        subdomains = tuple(c for c in codes if c in chosen)
    kept = {blueprint.subdomain(c).domain for c in subdomains}
    open_domains = [d.code for d in blueprint.domains if not subdomains or d.code in kept]
    domain_weights: dict[str, int] = {}
    if draw(st.booleans()):
        picked = draw(st.lists(st.sampled_from(open_domains), min_size=1, unique=True))
        domain_weights = {code: draw(st.integers(1, 50)) for code in picked}
    difficulty_mix: dict[str, float] = {}
    if mix or (mix is None and draw(st.booleans())):
        share = st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0])
        difficulty_mix = {level: draw(share) for level in DIFFICULTIES}
        if not any(difficulty_mix.values()):
            difficulty_mix["medium"] = 1.0
    return TemplateSpec(
        name="t",
        title="T",
        item_count=draw(st.integers(1, 40)),
        minutes=60,
        domain_weights=domain_weights,
        subdomains=subdomains,
        difficulty_mix=difficulty_mix,
    )


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    deep: bool = True,
    enemies: bool = True,
    history: bool = True,
    mix: bool | None = None,
) -> Scenario:
    """A bank, template and history; ``deep`` banks can always fill the form.

    Deep means every (sub-domain, difficulty) group has, besides its random extra items,
    ``needed + enemy pairs`` items under the exposure cap: each enemy pair can rule out at
    most one item, so even greedy choice always finds enough.
    """
    blueprint = draw(blueprints())
    template = draw(templates(blueprint, mix=mix))
    _, needed = template_counts(blueprint, template)
    cap = draw(st.none() | st.integers(1, 3))
    n_pairs = draw(st.integers(0, 6)) if enemies else 0
    rng = random.Random(draw(st.integers(0, 2**32)))
    specs: list[tuple[str, str, str, str, int]] = []
    for domain in blueprint.domains:
        for sub in domain.subdomains:
            for level in DIFFICULTIES:
                core = needed.get(sub.code, 0) + n_pairs if deep else 0
                extra = draw(st.integers(0, 4))
                for i in range(core + extra):
                    key = f"{sub.code}-{level[0]}{i:03d}"
                    if i < core:
                        use = rng.randrange(cap) if cap is not None else rng.randrange(4)
                    else:
                        use = rng.randrange((cap or 3) + 2)
                    specs.append((key, domain.code, sub.code, level, use))
    keys = [s[0] for s in specs]
    declared: dict[str, set[str]] = collections.defaultdict(set)
    if len(keys) >= 2:
        for _ in range(n_pairs):
            a, b = rng.sample(keys, 2)
            declared[a].add(b)  # one side only: the index must make it symmetric
    seen: dict[str, int] = {}
    if history:
        p_seen = draw(st.sampled_from([0.0, 0.3, 0.8, 1.0]))
        seen = {k: rng.randint(1, 3) for k in keys if rng.random() < p_seen}
    items = tuple(
        PoolItem(key, n, domain, sub, level, frozenset(declared[key]))
        for n, (key, domain, sub, level, _) in enumerate(specs)
    )
    usage = {s[0]: s[4] for s in specs}
    return Scenario(
        blueprint=blueprint,
        template=template,
        items=items,
        seen=seen,
        usage=usage,
        cap=cap,
        seed=draw(st.integers(0, 2**63)),
        n_options=draw(st.integers(1, 6)),
    )


# --- properties ------------------------------------------------------------------------------


@given(scenarios())
def test_domain_and_subdomain_counts_are_exact(s: Scenario) -> None:
    form = s.run()
    by_domain, by_subdomain = template_counts(s.blueprint, s.template)
    assert form.by_domain == by_domain
    assert form.by_subdomain == by_subdomain
    assert len(form.items) == s.template.item_count
    assert collections.Counter(i.domain for i in form.items) == +collections.Counter(by_domain)
    assert collections.Counter(i.subdomain for i in form.items) == +collections.Counter(
        by_subdomain
    )


@given(scenarios())
def test_every_subdomain_is_covered_when_the_domain_count_allows(s: Scenario) -> None:
    form = s.run()
    present = {i.subdomain for i in form.items}
    allowed = set(s.template.subdomains)
    for domain in s.blueprint.domains:
        subs = [x.code for x in domain.subdomains if not allowed or x.code in allowed]
        if form.by_domain.get(domain.code, 0) >= len(subs):
            assert set(subs) <= present


@given(scenarios())
def test_no_item_twice_and_positions_run_from_one(s: Scenario) -> None:
    form = s.run()
    keys = [i.key for i in form.items]
    assert len(keys) == len(set(keys))
    assert [i.position for i in form.items] == list(range(1, len(keys) + 1))
    versions = {item.key: item.version_id for item in s.items}
    assert all(i.version_id == versions[i.key] for i in form.items)


@given(scenarios())
def test_no_enemy_pair_shares_a_form(s: Scenario) -> None:
    keys = {i.key for i in s.run().items}
    for item in s.items:
        if item.key in keys:
            assert not (item.enemies & keys), f"{item.key} sits with its enemy"


@given(scenarios())
def test_exposure_cap_is_respected(s: Scenario) -> None:
    assert not any(s.capped(i.key) for i in s.run().items)


@given(scenarios())
def test_seen_items_only_once_unseen_run_out_least_seen_first(s: Scenario) -> None:
    form = s.run()
    index = BankIndex(s.items)
    keys = {i.key for i in form.items}
    ruled_out = set().union(*(index.enemies_of(k) for k in keys))
    for chosen in form.items:
        times = s.seen.get(chosen.key, 0)
        if times == 0:
            continue
        # Every eligible item of the sub-domain seen fewer times (unseen ones included)
        # must be on the form already, or be an enemy of something on it.
        for other in index.subdomain(chosen.subdomain):
            if s.capped(other.key) or s.seen.get(other.key, 0) >= times:
                continue
            assert other.key in keys or other.key in ruled_out, (chosen.key, other.key)


@given(scenarios(), st.data())
def test_same_seed_same_form_whatever_the_input_order(s: Scenario, data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(s.items))
    assert s.run() == s.run(shuffled)


@given(scenarios())
def test_option_orders_are_permutations(s: Scenario) -> None:
    for item in s.run().items:
        assert sorted(item.option_order) == list(range(s.n_options))


@given(scenarios(history=False, mix=True))
def test_difficulty_target_is_met_exactly_when_groups_are_deep(s: Scenario) -> None:
    form = s.run()
    shares = apportion.difficulty_shares(s.template)
    target = largest_remainder(s.template.item_count, shares, list(shares))
    assert collections.Counter(i.difficulty for i in form.items) == +collections.Counter(target)


@given(scenarios(deep=False, enemies=False))
def test_infeasible_form_names_exactly_the_short_subdomains(s: Scenario) -> None:
    _, needed = template_counts(s.blueprint, s.template)
    expected = []
    for code, count in needed.items():
        eligible = sum(1 for i in s.items if i.subdomain == code and not s.capped(i.key))
        if eligible < count:
            expected.append(Shortage(code, count, eligible))
    if not expected:
        assert len(s.run().items) == s.template.item_count
        return
    with pytest.raises(AssemblyError) as caught:
        s.run()
    assert list(caught.value.shortages) == expected
    for shortage in expected:
        text = f"{shortage.subdomain} needs {shortage.needed} eligible items, has "
        assert text + str(shortage.available) in str(caught.value)


@settings(max_examples=examples(200))
@given(scenarios(deep=False))
def test_any_failure_is_a_real_shortage(s: Scenario) -> None:
    try:
        form = s.run()
    except AssemblyError as error:
        _, needed = template_counts(s.blueprint, s.template)
        for shortage in error.shortages:
            eligible = sum(
                1 for i in s.items if i.subdomain == shortage.subdomain and not s.capped(i.key)
            )
            assert shortage.needed == needed[shortage.subdomain]
            if shortage.enemies:
                assert eligible >= shortage.needed > shortage.available
            else:
                assert shortage.available == eligible < shortage.needed
    else:
        assert len(form.items) == s.template.item_count


# --- concrete cases --------------------------------------------------------------------------


def test_full_mock_from_a_large_bank() -> None:
    blueprint = _aaism()
    form = assemble(BankIndex(_bank(blueprint, 20)), blueprint, blueprint.templates[0], seed=7)
    assert collections.Counter(i.domain for i in form.items) == {"D1": 28, "D2": 28, "D3": 34}
    assert {i.subdomain for i in form.items} == set(blueprint.subdomain_codes)
    # 90 at 25 / 50 / 25: quotas 22.5 / 45 / 22.5, the tie goes to easy (earlier in order).
    assert collections.Counter(i.difficulty for i in form.items) == {
        "easy": 23,
        "medium": 45,
        "hard": 22,
    }
    assert [i.position for i in form.items] == list(range(1, 91))


def test_different_seeds_give_different_forms() -> None:
    blueprint = _aaism()
    index = BankIndex(_bank(blueprint, 20))
    template = blueprint.templates[0]
    forms = {
        tuple(i.key for i in assemble(index, blueprint, template, seed=n).items) for n in (1, 2, 3)
    }
    assert len(forms) == 3


def test_short_subdomain_is_named_in_the_error() -> None:
    blueprint = _aaism()
    items = [i for i in _bank(blueprint, 4) if not (i.subdomain == "D3-C" and i.key[-2:] != "00")]
    with pytest.raises(AssemblyError) as caught:
        assemble(BankIndex(items), blueprint, blueprint.templates[0], seed=1)
    assert caught.value.shortages == (Shortage("D3-C", 7, 3),)
    assert "D3-C needs 7 eligible items, has 3" in str(caught.value)
    assert isinstance(caught.value, DomainError)


def test_capped_items_do_not_count_as_eligible() -> None:
    blueprint, template = _one_subdomain(3)
    items = [PoolItem(f"D1-A-{n}", n, "D1", "D1-A", "easy") for n in range(5)]
    usage = {"D1-A-0": 2, "D1-A-1": 5, "D1-A-2": 2}
    with pytest.raises(AssemblyError, match="D1-A needs 3 eligible items, has 2"):
        assemble(BankIndex(items), blueprint, template, seed=0, usage=usage, exposure_cap=2)
    for seed in range(10):
        form = assemble(
            BankIndex(items), blueprint, template, seed=seed, usage=usage, exposure_cap=5
        )
        assert "D1-A-1" not in {i.key for i in form.items}


def test_enemy_only_shortage_says_so() -> None:
    blueprint, template = _one_subdomain(2)
    items = [
        PoolItem("D1-A-1", 1, "D1", "D1-A", "easy", frozenset({"D1-A-2"})),
        PoolItem("D1-A-2", 2, "D1", "D1-A", "hard"),
    ]
    with pytest.raises(AssemblyError) as caught:
        assemble(BankIndex(items), blueprint, template, seed=3)
    assert caught.value.shortages == (Shortage("D1-A", 2, 1, enemies=True),)
    assert "once enemies of the other chosen items are set aside" in str(caught.value)


def test_seen_items_fill_in_least_seen_first() -> None:
    blueprint, template = _one_subdomain(4)
    items = [PoolItem(f"D1-A-{n}", n, "D1", "D1-A", "medium") for n in range(6)]
    seen = {"D1-A-0": 3, "D1-A-1": 1, "D1-A-2": 2, "D1-A-3": 1}
    for seed in range(20):
        form = assemble(BankIndex(items), blueprint, template, seed=seed, seen=seen)
        assert {i.key for i in form.items} == {"D1-A-4", "D1-A-5", "D1-A-1", "D1-A-3"}


def test_unseen_items_of_another_difficulty_come_before_seen_ones() -> None:
    blueprint, _ = _one_subdomain(2)
    template = TemplateSpec("t", "T", 2, 10, difficulty_mix={"hard": 1.0})
    items = [
        PoolItem("D1-A-1", 1, "D1", "D1-A", "hard"),
        PoolItem("D1-A-2", 2, "D1", "D1-A", "hard"),
        PoolItem("D1-A-3", 3, "D1", "D1-A", "easy"),
    ]
    form = assemble(BankIndex(items), blueprint, template, seed=5, seen={"D1-A-1": 1})
    assert {i.key for i in form.items} == {"D1-A-2", "D1-A-3"}


def test_among_equally_seen_items_the_needed_difficulties_go_first() -> None:
    blueprint, _ = _one_subdomain(2)
    template = TemplateSpec("t", "T", 2, 10, difficulty_mix={"easy": 0.5, "hard": 0.5})
    # Every item is seen once, so all wait in reserve, both easy ones ahead of the hard one.
    items = [PoolItem(f"D1-A-m{n}", n, "D1", "D1-A", "medium") for n in range(4)]
    items += [
        PoolItem("D1-A-e1", 10, "D1", "D1-A", "easy"),
        PoolItem("D1-A-e2", 11, "D1", "D1-A", "easy"),
        PoolItem("D1-A-h", 12, "D1", "D1-A", "hard"),
    ]
    seen = {item.key: 1 for item in items}
    for seed in range(20):
        form = assemble(BankIndex(items), blueprint, template, seed=seed, seen=seen)
        assert sorted(i.difficulty for i in form.items) == ["easy", "hard"]


def test_seen_fewer_times_beats_a_needed_difficulty() -> None:
    blueprint, _ = _one_subdomain(1)
    template = TemplateSpec("t", "T", 1, 10, difficulty_mix={"hard": 1.0})
    items = [
        PoolItem("D1-A-h", 1, "D1", "D1-A", "hard"),
        PoolItem("D1-A-m", 2, "D1", "D1-A", "medium"),
    ]
    for seed in range(10):
        form = assemble(
            BankIndex(items), blueprint, template, seed=seed, seen={"D1-A-h": 3, "D1-A-m": 1}
        )
        assert [i.key for i in form.items] == ["D1-A-m"]


def test_a_draw_that_enemies_block_is_retried() -> None:
    # D1-B's own pick can rule out D1-A's only item; a later draw picks the other D1-B item.
    blueprint = Blueprint(
        "b",
        "B",
        (Domain("D1", "D", 1, (Subdomain("D1-A", "D1", "A"), Subdomain("D1-B", "D1", "B"))),),
    )
    template = TemplateSpec("t", "T", 2, 10)
    items = [
        PoolItem("D1-A-1", 1, "D1", "D1-A", "medium", frozenset({"D1-B-1"})),
        *(PoolItem(f"D1-B-{n}", n, "D1", "D1-B", "medium") for n in range(1, 5)),
    ]
    # One draw in eight blocks D1-A; five draws in a row do so for none of these seeds.
    for seed in range(60):
        form = assemble(BankIndex(items), blueprint, template, seed=seed)
        keys = {i.key for i in form.items}
        assert "D1-A-1" in keys
        assert "D1-B-1" not in keys


def test_subdomain_filter_and_drill_weights() -> None:
    blueprint = _aaism()
    index = BankIndex(_bank(blueprint, 10))
    drill = TemplateSpec("drill", "Drill", 20, 40, domain_weights={"D2": 1})
    form = assemble(index, blueprint, drill, seed=1)
    assert collections.Counter(i.subdomain for i in form.items) == {
        "D2-A": 7,
        "D2-B": 7,
        "D2-C": 6,
    }
    narrow = TemplateSpec("narrow", "Narrow", 6, 12, subdomains=("D1-B", "D3-E"))
    form = assemble(index, blueprint, narrow, seed=1)
    assert {i.subdomain for i in form.items} == {"D1-B", "D3-E"}


def test_form_is_the_same_in_any_process() -> None:
    # String hashing differs between processes; sets of keys must never steer the draw.
    script = """
import json
from exam_engine.domain.assembly import BankIndex, PoolItem, assemble
from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain, TemplateSpec

def domain(code, weight, letters):
    return Domain(code, code, weight, tuple(Subdomain(f"{code}-{x}", code, x) for x in letters))

mix = {"easy": 0.25, "medium": 0.5, "hard": 0.25}
bp = Blueprint("b", "B", (domain("D1", 31, "ABCDE"), domain("D2", 31, "ABC"),
               domain("D3", 38, "ABCDE")))
keys = [(s, lv, f"{s}-{lv}-{n}") for s in bp.subdomain_codes for lv in mix for n in range(12)]
items = [PoolItem(k, n, s[:2], s, lv, frozenset(x[2] for x in keys[n + 1 : n + 2] if n % 3 == 0))
         for n, (s, lv, k) in enumerate(keys)]
seen = {k: 1 + n % 3 for n, (_, _, k) in enumerate(keys) if n % 4 == 0}
form = assemble(BankIndex(items), bp, TemplateSpec("t", "T", 90, 180, difficulty_mix=mix),
                seed=42, seen=seen, usage={k: n % 5 for n, (_, _, k) in enumerate(keys)},
                exposure_cap=4)
print(json.dumps([(i.key, i.option_order) for i in form.items]))
"""
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=REPO,
        )
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 90


def test_index_groups_by_key_and_makes_enemies_symmetric() -> None:
    items = [
        PoolItem("b", 2, "D1", "D1-A", "hard", frozenset({"a", "b"})),
        PoolItem("a", 1, "D1", "D1-A", "easy"),
        PoolItem("c", 3, "D1", "D1-B", "easy"),
    ]
    index = BankIndex(items)
    assert len(index) == 3
    assert [i.key for i in index.subdomain("D1-A")] == ["a", "b"]
    assert [i.key for i in index.stratum("D1-A", "hard")] == ["b"]
    assert index.subdomain("D9-Z") == ()
    assert index.subdomains == ("D1-A", "D1-B")
    assert index.enemies_of("a") == {"b"}
    assert index.enemies_of("b") == {"a"}
    assert index.enemies_of("c") == frozenset()


def test_index_refuses_duplicate_keys_and_unknown_difficulty() -> None:
    item = PoolItem("a", 1, "D1", "D1-A", "easy")
    with pytest.raises(ValueError, match="twice"):
        BankIndex([item, replace(item, version_id=2)])
    with pytest.raises(ValueError, match="difficulty"):
        BankIndex([replace(item, difficulty="brutal")])


def test_item_filed_under_the_wrong_domain_is_refused() -> None:
    blueprint, template = _one_subdomain(1)
    index = BankIndex([PoolItem("x", 1, "D2", "D1-A", "easy")])
    with pytest.raises(ValueError, match="names domain D2"):
        assemble(index, blueprint, template, seed=0)


def test_bad_option_count_is_refused() -> None:
    blueprint, template = _one_subdomain(1)
    index = BankIndex([PoolItem("x", 1, "D1", "D1-A", "easy")])
    with pytest.raises(ValueError, match="n_options"):
        assemble(index, blueprint, template, seed=0, n_options=0)


def test_assembly_error_survives_pickling() -> None:
    error = AssemblyError([Shortage("D1-A", 3, 1), Shortage("D2-B", 2, 1, enemies=True)])
    again = pickle.loads(pickle.dumps(error))
    assert again.shortages == error.shortages
    assert str(again) == str(error)


def test_assembly_never_draws_a_left_out_key_and_reports_the_shortage_it_makes() -> None:
    blueprint, template = _one_subdomain(4)
    items = [PoolItem(f"D1-A-{i:03d}", i, "D1", "D1-A", "medium") for i in range(6)]
    left_out = {"D1-A-000", "D1-A-002"}
    for seed in range(20):
        form = assemble(BankIndex(items), blueprint, template, seed=seed, exclude=left_out)
        assert {item.key for item in form.items} == {i.key for i in items} - left_out
    with pytest.raises(AssemblyError, match="D1-A"):
        assemble(BankIndex(items), blueprint, template, seed=0, exclude=left_out | {"D1-A-005"})


def test_an_index_without_keys_keeps_the_other_items_and_their_enemies() -> None:
    items = [
        PoolItem("D1-A-001", 1, "D1", "D1-A", "easy", frozenset({"D1-A-002"})),
        PoolItem("D1-A-002", 2, "D1", "D1-A", "easy"),
        PoolItem("D1-A-003", 3, "D1", "D1-A", "hard", frozenset({"D1-A-001", "D1-A-002"})),
    ]
    index = BankIndex(items)
    assert index.without(()) is index
    smaller = index.without({"D1-A-001"})
    assert len(smaller) == 2
    assert [i.key for i in smaller.subdomain("D1-A")] == ["D1-A-002", "D1-A-003"]
    assert smaller.enemies_of("D1-A-002") == {"D1-A-003"}


def test_input_errors_name_the_item_and_value_exactly() -> None:
    item = PoolItem("a", 1, "D1", "D1-A", "easy")
    with pytest.raises(ValueError, match=r"^item key 'a' appears twice in the bank$"):
        BankIndex([item, replace(item, version_id=2)])
    with pytest.raises(ValueError, match=r"^item 'a' has unknown difficulty 'brutal'$"):
        BankIndex([replace(item, difficulty="brutal")])
    blueprint, template = _one_subdomain(1)
    wrong = BankIndex([PoolItem("x", 1, "D2", "D1-A", "easy")])
    with pytest.raises(ValueError, match=r"^item 'x' is filed under D1-A but names domain D2$"):
        assemble(wrong, blueprint, template, seed=0)
    with pytest.raises(ValueError, match=r"^n_options must be >= 1, got 0$"):
        assemble(BankIndex([item]), blueprint, template, seed=0, n_options=0)


def test_a_single_option_order_is_allowed() -> None:
    blueprint, template = _one_subdomain(1)
    form = assemble(
        BankIndex([PoolItem("a", 1, "D1", "D1-A", "easy")]),
        blueprint,
        template,
        seed=3,
        n_options=1,
    )
    assert [item.option_order for item in form.items] == [(0,)]
