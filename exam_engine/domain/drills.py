"""Weak-area drills: which sub-domains to practise (Thompson sampling), which items, mastery.

Posteriors. ``weak_areas.assess`` gives each sub-domain's correct/total counts (first exposures)
and each domain's smoothed rate m; its model fixes the posterior as
    Beta(k * m + c_s, k * (1 - m) + n_s - c_s),    k = prior_strength,
which ``posteriors`` rebuilds, so drills target exactly what the scorecard calls weak.

Sub-domain counts. Each of the drill's slots goes to one sub-domain: draw
theta_s ~ Beta(alpha_s, beta_s) for every sub-domain still open, and take the one with the
largest w_s * (1 - theta_s), its expected share of exam points lost (w_s = the sub-domain's
blueprint share). Sampling rather than ranking spreads practice over every sub-domain that
might be weak, in proportion to the chance that it is the costliest, and moves on as evidence
comes in. A sub-domain is closed when its bank is used up or it holds ``max_per_subdomain``
slots (default a third of the drill, so a drill covers at least three sub-domains when it can).

Items. Items of the candidate's unfinished mocks are never drawn (``exclude``): a drill's
feedback would give their keys away. Inside a sub-domain the difficulty mix follows the
posterior mean (easier items while the mean is low, harder ones once it is high); unseen items
come first, at the wanted difficulty and then at any, and only then items seen before, least
seen first. Enemy pairs never share a drill. A drill is a practice set, so when the bank runs
short it is shorter, never an error, unless no item at all is left.

All randomness comes from the ``random.Random`` passed in (or made from the seed).
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from types import MappingProxyType

from exam_engine.domain.apportion import largest_remainder
from exam_engine.domain.assembly import BankIndex, FormItem, PoolItem, place
from exam_engine.domain.blueprint import DIFFICULTIES, Blueprint
from exam_engine.domain.errors import DomainError
from exam_engine.domain.plurals import plural
from exam_engine.domain.stats import BetaDist
from exam_engine.domain.weak_areas import Observation, Standing, assess

DEFAULT_PRIOR_STRENGTH = 4.0
_NO_COUNTS: Mapping[str, int] = MappingProxyType({})


class DrillError(DomainError):
    """A drill cannot be built (unknown sub-domains, or no item left to draw from)."""


@dataclass(frozen=True)
class Posterior:
    """A sub-domain's Beta posterior over the candidate's success rate, and its exam share."""

    code: str
    domain: str
    alpha: float
    beta: float
    weight: float

    @property
    def mean(self) -> float:
        """Return alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)


@dataclass(frozen=True)
class Drill:
    """A drill: its items in position order and how many came from each sub-domain."""

    seed: int
    items: tuple[FormItem, ...]
    counts: dict[str, int]


def blueprint_shares(blueprint: Blueprint) -> dict[str, float]:
    """Each sub-domain's share of the exam: domain share x its weight inside the domain."""
    total = sum(d.weight for d in blueprint.domains)
    shares: dict[str, float] = {}
    for domain in blueprint.domains:
        inner = sum(s.weight for s in domain.subdomains)
        for sub in domain.subdomains:
            shares[sub.code] = (domain.weight / total) * (sub.weight / inner)
    return shares


def posteriors(
    standing: Standing, blueprint: Blueprint, *, prior_strength: float = DEFAULT_PRIOR_STRENGTH
) -> tuple[Posterior, ...]:
    """Rebuild each sub-domain's Beta posterior from a Standing (``prior_strength`` as assessed)."""
    shares = blueprint_shares(blueprint)
    result: list[Posterior] = []
    for s in standing.standings:
        prior = BetaDist.with_mean(standing.domain_rates[s.domain], prior_strength)
        post = prior.updated(s.correct, s.total - s.correct)
        result.append(Posterior(s.code, s.domain, post.alpha, post.beta, shares[s.code]))
    return tuple(result)


def thompson_counts(
    candidates: Sequence[Posterior],
    item_count: int,
    rng: random.Random,
    *,
    capacity: Mapping[str, int],
    max_per_subdomain: int | None = None,
) -> dict[str, int]:
    """Give each slot to the open sub-domain with the largest sampled w * (1 - theta).

    Returns counts for the sub-domains that got slots, in ``candidates`` order; fewer than
    ``item_count`` in all when ``capacity`` runs out.
    """
    if item_count < 1:
        raise ValueError(f"item_count must be >= 1, got {item_count}")
    usable = [p for p in candidates if capacity.get(p.code, 0) > 0]
    if not usable:
        return {}
    cap = max_per_subdomain if max_per_subdomain is not None else math.ceil(item_count / 3)
    if cap < 1:
        raise ValueError(f"max_per_subdomain must be >= 1, got {cap}")
    # A cap that would leave slots empty while items remain is raised to fit them.
    cap = max(cap, math.ceil(item_count / len(usable)))
    counts = dict.fromkeys((p.code for p in usable), 0)
    for _ in range(item_count):
        best: Posterior | None = None
        best_score = -math.inf
        for p in usable:
            if counts[p.code] >= min(cap, capacity[p.code]):
                continue
            # Every open sub-domain draws, so the stream of draws does not depend on the scores.
            score = p.weight * (1.0 - rng.betavariate(p.alpha, p.beta))
            if score > best_score:
                best, best_score = p, score
        if best is None:
            break
        counts[best.code] += 1
    return {code: n for code, n in counts.items() if n > 0}


def difficulty_weights(mean: float) -> dict[str, Fraction]:
    """The difficulty mix for a sub-domain whose posterior mean success rate is ``mean``."""
    if mean < 0.5:
        mix = (2, 1, 0)
    elif mean < 0.7:
        mix = (1, 2, 1)
    else:
        mix = (0, 1, 2)
    return {level: Fraction(w) for level, w in zip(DIFFICULTIES, mix, strict=True)}


class _Picker:
    """Pick items sub-domain by sub-domain, sharing one enemy block list."""

    def __init__(self, index: BankIndex, seen: Mapping[str, int], rng: random.Random) -> None:
        self._index = index
        self._seen = seen
        self._rng = rng
        self._blocked: set[str] = set()

    def pick(self, code: str, count: int, weights: Mapping[str, Fraction]) -> list[PoolItem]:
        """Up to ``count`` items of one sub-domain: unseen at the wanted mix, unseen, then seen."""
        pool = list(self._index.subdomain(code))
        self._rng.shuffle(pool)
        quotas = largest_remainder(count, weights, DIFFICULTIES)
        rank = {
            level: i
            for i, level in enumerate(
                sorted(DIFFICULTIES, key=lambda lv: (-weights[lv], DIFFICULTIES.index(lv)))
            )
        }
        picked: list[PoolItem] = []
        for item in pool:
            if len(picked) >= count:
                break
            if self._seen.get(item.key, 0) == 0 and quotas[item.difficulty] > 0:
                if self._accept(item, picked):
                    quotas[item.difficulty] -= 1
        # sorted() is stable, so equal ranks keep the shuffled order.
        unseen = sorted(
            (i for i in pool if self._seen.get(i.key, 0) == 0), key=lambda i: rank[i.difficulty]
        )
        seen = sorted(
            (i for i in pool if self._seen.get(i.key, 0) > 0),
            key=lambda i: (self._seen[i.key], rank[i.difficulty]),
        )
        for item in unseen + seen:
            if len(picked) >= count:
                break
            self._accept(item, picked)
        return picked

    def _accept(self, item: PoolItem, picked: list[PoolItem]) -> bool:
        """Take ``item`` unless it is taken or blocked by an enemy; block its enemies."""
        if item.key in self._blocked:
            return False
        picked.append(item)
        self._blocked.add(item.key)
        self._blocked.update(self._index.enemies_of(item.key))
        return True


def build_drill(
    index: BankIndex,
    candidates: Sequence[Posterior],
    *,
    item_count: int,
    seed: int,
    seen: Mapping[str, int] = _NO_COUNTS,
    subdomains: Iterable[str] = (),
    max_per_subdomain: int | None = None,
    n_options: int = 4,
    exclude: Collection[str] = frozenset(),
) -> Drill:
    """Build a drill from the sub-domains in ``subdomains`` (empty: all of ``candidates``).

    :param seen: times the candidate has already seen each item key (any kind of attempt).
    :param exclude: item keys never to draw: the items of the candidate's unfinished mocks,
        whose keys a drill's feedback would otherwise give away.
    :raises DrillError: for an unknown sub-domain, or when no item at all can be drawn.
    """
    if n_options < 1:
        raise ValueError(f"n_options must be >= 1, got {n_options}")
    requested = list(dict.fromkeys(subdomains))
    known = {p.code for p in candidates}
    unknown = [code for code in requested if code not in known]
    if unknown:
        raise DrillError(f"unknown {plural(len(unknown), 'sub-domain')}: {', '.join(unknown)}")
    chosen = [p for p in candidates if not requested or p.code in requested]
    index = index.without(exclude)
    rng = random.Random(seed)
    capacity = {p.code: len(index.subdomain(p.code)) for p in chosen}
    counts = thompson_counts(
        chosen, item_count, rng, capacity=capacity, max_per_subdomain=max_per_subdomain
    )
    if not counts:
        names = ", ".join(p.code for p in chosen) or "none"
        raise DrillError(
            f"no published items to drill in {plural(len(chosen), 'sub-domain')} {names}"
        )
    picker = _Picker(index, seen, rng)
    by_code = {p.code: p for p in chosen}
    picks: list[PoolItem] = []
    for code, count in counts.items():
        picks.extend(picker.pick(code, count, difficulty_weights(by_code[code].mean)))
    # Interleaved sub-domains: a drill should not read as blocks of one topic.
    rng.shuffle(picks)
    items = [place(item, position, rng, n_options) for position, item in enumerate(picks, start=1)]
    actual: dict[str, int] = {}
    for drill_item in items:
        actual[drill_item.subdomain] = actual.get(drill_item.subdomain, 0) + 1
    return Drill(seed=seed, items=tuple(items), counts=actual)


@dataclass(frozen=True)
class FinishedAttempt:
    """The observations of one finished mock or drill, for mastery over time."""

    attempt_id: int
    kind: str
    finished_at: datetime
    observations: tuple[Observation, ...]


@dataclass(frozen=True)
class MasteryPoint:
    """Posterior mean success rate per sub-domain after one attempt, counting all before it."""

    attempt_id: int
    kind: str
    finished_at: datetime
    means: dict[str, float]
    totals: dict[str, int]


def mastery_over_time(
    attempts: Sequence[FinishedAttempt],
    blueprint: Blueprint,
    *,
    last: int | None = None,
    target: float = 0.65,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> tuple[MasteryPoint, ...]:
    """Assess after each attempt in finishing order; ``last`` keeps only the newest points."""
    ordered = sorted(attempts, key=lambda a: (a.finished_at, a.attempt_id))
    start = 0 if last is None else max(0, len(ordered) - last)
    points: list[MasteryPoint] = []
    pooled: list[Observation] = []
    for i, attempt in enumerate(ordered):
        pooled.extend(attempt.observations)
        if i < start:
            continue
        standing = assess(pooled, blueprint, target=target, prior_strength=prior_strength)
        points.append(
            MasteryPoint(
                attempt_id=attempt.attempt_id,
                kind=attempt.kind,
                finished_at=attempt.finished_at,
                means={s.code: s.posterior_mean for s in standing.standings},
                totals={s.code: s.total for s in standing.standings},
            )
        )
    return tuple(points)
