"""Blueprint-exact exam assembly: stratified sampling from a prebuilt index of the bank.

How a form is built:

1. Counts. Domains get ``item_count`` by largest remainder over the template's shares, then
   each domain's count is split across its (allowed) sub-domains the same way, at least one
   each when the count covers them (``apportion``). The form-wide difficulty target is the
   item count apportioned over the template's ``difficulty_mix``.
2. Sampling. Sub-domains are filled one at a time, in an order shuffled per seed. Each
   (sub-domain, difficulty) group of the index is drawn lazily in uniformly random order (a
   sparse Fisher-Yates shuffle), and a drawn item is rejected when it is over the exposure cap
   or an enemy of an item already chosen. Items the candidate has seen are put aside, and used
   only once the sub-domain has no unseen eligible item left, least-seen first.
3. Difficulty. A sub-domain's count is split across difficulties by largest remainder over
   what the form still needs of each difficulty. Because no split can exceed what is still
   needed, the form hits the apportioned difficulty target exactly whenever the groups are
   deep enough; when one is short, the other difficulties fill in and later sub-domains make
   up the difference.
4. Shortages. If a sub-domain cannot be filled, every such sub-domain is reported in one
   ``AssemblyError``; a form is never silently shorter. A shortage caused only by enemies
   (greedy choice can paint itself into a corner) is retried a few times with fresh draws.

Why sampling and quotas rather than an optimiser: the cost of a form is proportional to the
items drawn, not to the bank, so a 100k-item bank costs about what a 1k one does (see
benchmarks/RESULTS.md, "Exam assembly (issue 4)": about 0.5 ms for the plain path and 1 ms with
every constraint on, at each bank size). The quota split already meets the difficulty target
exactly, so a joint optimiser buys nothing the tests can tell apart: a trial of
``scipy.optimize.milp`` over a candidate pool of four items per slot (same counts, difficulty
and enemy constraints) took about 12 ms a form, ten times as long, and only sees its pool. It
becomes worth it only if constraints start to interact, for example enemy sets dense enough
that greedy choice keeps failing.

Randomness comes only from ``random.Random(seed)``, and every group is sorted by key, so the
same bank contents, template, history and seed always give the same form, in any process.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from exam_engine.domain.apportion import difficulty_shares, largest_remainder, template_counts
from exam_engine.domain.blueprint import DIFFICULTIES, Blueprint, TemplateSpec
from exam_engine.domain.errors import AssemblyError, Shortage

_NO_COUNTS: Mapping[str, int] = MappingProxyType({})
# Enemy-only shortages come from the order of greedy choices; fresh draws usually avoid them,
# and a handful of tries keeps the worst case bounded.
ENEMY_RETRIES = 5


@dataclass(frozen=True, slots=True)
class PoolItem:
    """A published item version as assembly sees it."""

    key: str
    version_id: int
    domain: str
    subdomain: str
    difficulty: str
    enemies: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FormItem:
    """One item of an assembled form, with the option order this attempt shows."""

    position: int
    key: str
    version_id: int
    domain: str
    subdomain: str
    difficulty: str
    option_order: tuple[int, ...]


@dataclass(frozen=True)
class Form:
    """An assembled exam form and the counts it was built to."""

    template: str
    seed: int
    items: tuple[FormItem, ...]
    by_domain: dict[str, int]
    by_subdomain: dict[str, int]


class BankIndex:
    """The bank grouped by sub-domain and by (sub-domain, difficulty), each group sorted by key."""

    __slots__ = ("_by_subdomain", "_by_stratum", "_enemies", "_size")

    def __init__(self, items: Iterable[PoolItem]) -> None:
        # Sorting by key makes every group, and so every draw, independent of input order.
        ordered = sorted(items, key=lambda item: item.key)
        by_subdomain: dict[str, list[PoolItem]] = defaultdict(list)
        by_stratum: dict[tuple[str, str], list[PoolItem]] = defaultdict(list)
        enemies: dict[str, set[str]] = defaultdict(set)
        previous: str | None = None
        for item in ordered:
            if item.key == previous:
                raise ValueError(f"item key {item.key!r} appears twice in the bank")
            previous = item.key
            if item.difficulty not in DIFFICULTIES:
                raise ValueError(f"item {item.key!r} has unknown difficulty {item.difficulty!r}")
            by_subdomain[item.subdomain].append(item)
            by_stratum[(item.subdomain, item.difficulty)].append(item)
            # Either side may declare the pair; assembly must honour it both ways.
            for other in item.enemies:
                if other != item.key:
                    enemies[item.key].add(other)
                    enemies[other].add(item.key)
        self._by_subdomain = {code: tuple(group) for code, group in by_subdomain.items()}
        self._by_stratum = {pair: tuple(group) for pair, group in by_stratum.items()}
        self._enemies = {key: frozenset(keys) for key, keys in enemies.items()}
        self._size = len(ordered)

    def __len__(self) -> int:
        """Return the number of items in the bank."""
        return self._size

    @property
    def subdomains(self) -> tuple[str, ...]:
        """Sub-domain codes that have at least one item, sorted."""
        return tuple(sorted(self._by_subdomain))

    def subdomain(self, code: str) -> tuple[PoolItem, ...]:
        """Return the items of a sub-domain, sorted by key."""
        return self._by_subdomain.get(code, ())

    def stratum(self, code: str, difficulty: str) -> tuple[PoolItem, ...]:
        """Return the items of a sub-domain at one difficulty, sorted by key."""
        return self._by_stratum.get((code, difficulty), ())

    def enemies_of(self, key: str) -> frozenset[str]:
        """Return the keys that must not share a form with ``key``, whichever side declared it."""
        return self._enemies.get(key, frozenset())

    def without(self, keys: Collection[str]) -> BankIndex:
        """Return this index less the items whose key is in ``keys`` (itself when none are)."""
        if not keys:
            return self
        # Enemy pairs with a left-out item are lost, harmlessly: that item cannot be drawn.
        return BankIndex(
            item for group in self._by_subdomain.values() for item in group if item.key not in keys
        )


class _Stream:
    """Draw the items of one group in uniformly random order, lazily (sparse Fisher-Yates)."""

    __slots__ = ("_items", "_drawn", "_swaps", "_rng")

    def __init__(self, items: tuple[PoolItem, ...], rng: random.Random) -> None:
        self._items = items
        self._drawn = 0
        # Only the displaced positions are stored, so a draw costs O(1) whatever the group size.
        self._swaps: dict[int, int] = {}
        self._rng = rng

    def draw(self) -> PoolItem | None:
        """Return the next item, or None once the group is exhausted."""
        i = self._drawn
        n = len(self._items)
        if i >= n:
            return None
        j = self._rng.randrange(i, n)
        swaps = self._swaps
        chosen = swaps.get(j, j)
        swaps[j] = swaps.pop(i, i)
        self._drawn = i + 1
        return self._items[chosen]


class _Picker:
    """Fill sub-domains one at a time, sharing the enemy block list of one attempt."""

    def __init__(
        self,
        index: BankIndex,
        rng: random.Random,
        seen: Mapping[str, int],
        usage: Mapping[str, int],
        exposure_cap: int | None,
    ) -> None:
        self._index = index
        self._rng = rng
        self._seen = seen
        self._usage = usage
        self._cap = exposure_cap
        self._blocked: set[str] = set()
        self._capped = 0

    def fill(
        self, code: str, count: int, quotas: Mapping[str, int] | None, need: Mapping[str, int]
    ) -> tuple[list[PoolItem], Shortage | None]:
        """Pick ``count`` items of one sub-domain; ``quotas`` per difficulty, None for any."""
        picked: list[PoolItem] = []
        reserve: list[tuple[int, int, PoolItem]] = []
        self._capped = 0
        if quotas is None:
            whole = _Stream(self._index.subdomain(code), self._rng)
            self._take(whole, count, picked, reserve)
        else:
            streams = {
                level: _Stream(self._index.stratum(code, level), self._rng)
                for level in DIFFICULTIES
            }
            for level in DIFFICULTIES:
                self._take(streams[level], quotas.get(level, 0), picked, reserve)
            if len(picked) < count:
                # Unseen items of another difficulty beat seen ones of the wanted difficulty;
                # the difficulties the form needs most go first.
                short = dict(need)
                for item in picked:
                    short[item.difficulty] -= 1
                fallback = sorted(DIFFICULTIES, key=lambda lv: (-short[lv], DIFFICULTIES.index(lv)))
                for level in fallback:
                    self._take(streams[level], count - len(picked), picked, reserve)
        if len(picked) < count and reserve:
            self._take_seen(reserve, count, picked, need if quotas is not None else None)
        if len(picked) >= count:
            return picked, None
        # Every group of the sub-domain has been drawn to the end, so the capped tally is exact.
        eligible = len(self._index.subdomain(code)) - self._capped
        if eligible < count:
            return picked, Shortage(code, count, eligible)
        return picked, Shortage(code, count, len(picked), enemies=True)

    def _take(
        self,
        stream: _Stream,
        want: int,
        picked: list[PoolItem],
        reserve: list[tuple[int, int, PoolItem]],
    ) -> None:
        """Draw until ``want`` unseen eligible items are picked or the stream runs dry."""
        cap = self._cap
        usage = self._usage
        seen = self._seen
        blocked = self._blocked
        taken = 0
        while taken < want:
            item = stream.draw()
            if item is None:
                return
            key = item.key
            if cap is not None and usage.get(key, 0) >= cap:
                self._capped += 1
                continue
            if key in blocked:
                continue
            times = seen.get(key, 0)
            if times > 0:
                reserve.append((times, len(reserve), item))
                continue
            self._accept(item, picked)
            taken += 1

    def _take_seen(
        self,
        reserve: list[tuple[int, int, PoolItem]],
        count: int,
        picked: list[PoolItem],
        need: Mapping[str, int] | None,
    ) -> None:
        """Top up from seen items, least-seen first, then a needed difficulty, then draw order."""
        short = dict(need) if need is not None else None
        if short is not None:
            for item in picked:
                short[item.difficulty] -= 1
        reserve.sort(key=lambda entry: (entry[0], entry[1]))
        passes = (True, False) if short is not None else (False,)
        start = 0
        while start < len(reserve) and len(picked) < count:
            end = start
            while end < len(reserve) and reserve[end][0] == reserve[start][0]:
                end += 1
            group = [entry[2] for entry in reserve[start:end]]
            done = [False] * len(group)
            for needed_only in passes:
                for i, item in enumerate(group):
                    if done[i]:
                        continue
                    if len(picked) >= count:
                        return
                    if item.key in self._blocked:
                        done[i] = True
                        continue
                    if needed_only and short is not None and short[item.difficulty] <= 0:
                        continue
                    self._accept(item, picked)
                    done[i] = True
                    if short is not None:
                        short[item.difficulty] -= 1
            start = end

    def _accept(self, item: PoolItem, picked: list[PoolItem]) -> None:
        """Put ``item`` on the form and rule out its enemies for the rest of the attempt."""
        picked.append(item)
        enemies = self._index.enemies_of(item.key)
        if enemies:
            self._blocked.update(enemies)


def assemble(
    index: BankIndex,
    blueprint: Blueprint,
    template: TemplateSpec,
    *,
    seed: int,
    seen: Mapping[str, int] = _NO_COUNTS,
    usage: Mapping[str, int] = _NO_COUNTS,
    exposure_cap: int | None = None,
    n_options: int = 4,
    exclude: Collection[str] = frozenset(),
) -> Form:
    """Assemble a form that meets the template's blueprint counts exactly, or raise.

    :param seen: times the candidate has already seen each item key; unseen items go first.
    :param exclude: item keys never to draw (a practice set leaves out an open mock's items).
    :param usage: times each item key has been used across the cohort.
    :param exposure_cap: items with ``usage`` at or above this are ineligible (None: no cap).
    :raises AssemblyError: when some sub-domain cannot supply its count; names each one.
    """
    if n_options < 1:
        raise ValueError(f"n_options must be >= 1, got {n_options}")
    index = index.without(exclude)
    by_domain, by_subdomain = template_counts(blueprint, template)
    shares = difficulty_shares(template)
    target = largest_remainder(template.item_count, shares, list(shares)) if shares else {}
    domain_of = {sub.code: domain.code for domain in blueprint.domains for sub in domain.subdomains}
    rows = [code for code, count in by_subdomain.items() if count > 0]
    rng = random.Random(seed)
    picks: list[PoolItem] = []
    shortages: list[Shortage] = []
    for _ in range(ENEMY_RETRIES):
        picks, shortages = _draw(index, rows, by_subdomain, target, rng, seen, usage, exposure_cap)
        if not shortages:
            break
        if not all(shortage.enemies for shortage in shortages):
            break
    if shortages:
        row_of = {code: i for i, code in enumerate(rows)}
        raise AssemblyError(sorted(shortages, key=lambda s: row_of[s.subdomain]))
    # Positions are random too, so a form does not read domain by domain.
    rng.shuffle(picks)
    items: list[FormItem] = []
    for position, item in enumerate(picks, start=1):
        if item.domain != domain_of[item.subdomain]:
            raise ValueError(
                f"item {item.key!r} is filed under {item.subdomain} but names domain {item.domain}"
            )
        items.append(place(item, position, rng, n_options))
    return Form(
        template=template.name,
        seed=seed,
        items=tuple(items),
        by_domain=by_domain,
        by_subdomain=by_subdomain,
    )


def place(item: PoolItem, position: int, rng: random.Random, n_options: int) -> FormItem:
    """The item at ``position`` of a form, its options in an order drawn from ``rng``."""
    options = list(range(n_options))
    rng.shuffle(options)
    return FormItem(
        position=position,
        key=item.key,
        version_id=item.version_id,
        domain=item.domain,
        subdomain=item.subdomain,
        difficulty=item.difficulty,
        option_order=tuple(options),
    )


def _draw(
    index: BankIndex,
    rows: list[str],
    by_subdomain: Mapping[str, int],
    target: Mapping[str, int],
    rng: random.Random,
    seen: Mapping[str, int],
    usage: Mapping[str, int],
    exposure_cap: int | None,
) -> tuple[list[PoolItem], list[Shortage]]:
    """Make one attempt at the whole form; return the picks and any shortages."""
    order = list(rows)
    # A fixed order would hand the same sub-domains the same difficulty split on every form.
    rng.shuffle(order)
    picker = _Picker(index, rng, seen, usage, exposure_cap)
    need = {level: target.get(level, 0) for level in DIFFICULTIES}
    levels = list(target)
    picks: list[PoolItem] = []
    shortages: list[Shortage] = []
    for code in order:
        count = by_subdomain[code]
        quotas: dict[str, int] | None = None
        if target:
            # What the form still needs of each difficulty; never more than that, so the
            # target is met exactly when the groups are deep enough.
            weights = {level: Fraction(max(need[level], 0)) for level in levels}
            quotas = largest_remainder(count, weights, levels)
        got, shortage = picker.fill(code, count, quotas, need)
        if shortage is not None:
            shortages.append(shortage)
        for item in got:
            need[item.difficulty] -= 1
        picks.extend(got)
    return picks, shortages
