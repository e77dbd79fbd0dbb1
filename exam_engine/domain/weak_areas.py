"""Weak areas: which sub-domains a candidate is probably below target in, pooled across mocks.

Model, per sub-domain s of domain d, from the candidate's first exposures only:
    m     = (c_d + 1) / (n_d + 2)                  smoothed domain rate (never 0 or 1)
    prior = Beta(k * m, k * (1 - m))               k = prior_strength (default 4 items' worth)
    post  = Beta(k * m + c_s, k * (1 - m) + n_s - c_s)
    p_below_target = P(rate < target | post)       the Beta CDF at target
    status = "weak" if p_below_target >= weak_at, "strong" if <= strong_at,
             else "needs more items" (always so for a sub-domain with no items yet)
    priority = w_s * (target - mean(post)), w_s = share of d in the blueprint
             * weight of s inside d (1 / number of sub-domains when weights are equal)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.stats import BetaDist, smoothed_rate

Status = Literal["weak", "strong", "needs more items"]
WEAK: Status = "weak"
STRONG: Status = "strong"
NEEDS_MORE: Status = "needs more items"


@dataclass(frozen=True)
class Observation:
    """One item the candidate answered (or left blank) in a finished mock, and when."""

    key: str
    domain: str
    subdomain: str
    correct: bool
    seen_at: datetime


@dataclass(frozen=True)
class SubdomainStanding:
    """The posterior view of one sub-domain."""

    code: str
    domain: str
    correct: int
    total: int
    posterior_mean: float
    p_below_target: float
    status: Status
    priority: float

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "code": self.code,
            "domain": self.domain,
            "correct": self.correct,
            "total": self.total,
            "posterior_mean": self.posterior_mean,
            "p_below_target": self.p_below_target,
            "status": self.status,
            "priority": self.priority,
        }


@dataclass(frozen=True)
class Standing:
    """All sub-domain standings (blueprint order), the weak ones ranked, and what to drill next."""

    standings: tuple[SubdomainStanding, ...]
    weak_areas: tuple[SubdomainStanding, ...]
    next_drill: tuple[str, ...]
    domain_rates: dict[str, float]
    correct: int
    total: int
    target: float

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "standings": [s.to_dict() for s in self.standings],
            "weak_areas": [s.code for s in self.weak_areas],
            "next_drill": list(self.next_drill),
            "domain_rates": dict(self.domain_rates),
            "correct": self.correct,
            "total": self.total,
            "target": self.target,
        }


def first_exposures(observations: Iterable[Observation]) -> list[Observation]:
    """Keep each item key's earliest observation (ties: the first given), in input order."""
    earliest: dict[str, Observation] = {}
    for obs in observations:
        kept = earliest.get(obs.key)
        # A repeat sighting measures memory of that item, not the sub-domain skill.
        if kept is None or obs.seen_at < kept.seen_at:
            earliest[obs.key] = obs
    return list(earliest.values())


def assess(
    observations: Iterable[Observation],
    blueprint: Blueprint,
    *,
    target: float = 0.65,
    prior_strength: float = 4.0,
    weak_at: float = 0.8,
    strong_at: float = 0.2,
) -> Standing:
    """Assess every blueprint sub-domain from pooled first exposures (model in module doc).

    Observations whose sub-domain is not in the blueprint are ignored; the domain of an
    observation is taken from the blueprint. ``weak_areas`` holds the "weak" standings by
    priority, highest first (ties in blueprint order); ``next_drill`` lists those codes, then
    the "needs more items" codes by priority; "strong" ones are never suggested.
    """
    check_thresholds(target, prior_strength, weak_at, strong_at)

    known = set(blueprint.subdomain_codes)
    counts: dict[str, list[int]] = {code: [0, 0] for code in known}
    for obs in first_exposures(observations):
        if obs.subdomain in known:
            counts[obs.subdomain][0] += obs.correct
            counts[obs.subdomain][1] += 1

    weight_total = sum(d.weight for d in blueprint.domains)
    domain_rates: dict[str, float] = {}
    standings: list[SubdomainStanding] = []
    for domain in blueprint.domains:
        c_d = sum(counts[s.code][0] for s in domain.subdomains)
        n_d = sum(counts[s.code][1] for s in domain.subdomains)
        domain_rates[domain.code] = smoothed_rate(c_d, n_d)
        prior = BetaDist.with_mean(domain_rates[domain.code], prior_strength)
        sub_weight_total = sum(s.weight for s in domain.subdomains)
        for sub in domain.subdomains:
            c_s, n_s = counts[sub.code]
            post = prior.updated(c_s, n_s - c_s)
            p_below = post.cdf(target)
            share = (domain.weight / weight_total) * (sub.weight / sub_weight_total)
            standings.append(
                SubdomainStanding(
                    code=sub.code,
                    domain=domain.code,
                    correct=c_s,
                    total=n_s,
                    posterior_mean=post.mean,
                    p_below_target=p_below,
                    status=classify(p_below, n_s, weak_at, strong_at),
                    priority=share * (target - post.mean),
                )
            )

    def ranked(status: Status) -> list[SubdomainStanding]:
        # sorted() is stable, so equal priorities keep blueprint order.
        chosen = [s for s in standings if s.status == status]
        return sorted(chosen, key=lambda s: -s.priority)

    weak = ranked(WEAK)
    return Standing(
        standings=tuple(standings),
        weak_areas=tuple(weak),
        next_drill=tuple(s.code for s in weak + ranked(NEEDS_MORE)),
        domain_rates=domain_rates,
        correct=sum(c for c, _ in counts.values()),
        total=sum(n for _, n in counts.values()),
        target=target,
    )


def check_thresholds(
    target: float, prior_strength: float, weak_at: float, strong_at: float
) -> None:
    """Raise ValueError unless the model's parameters are in range."""
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1), got {target!r}")
    if not prior_strength > 0.0:
        raise ValueError(f"prior_strength must be > 0, got {prior_strength!r}")
    if not 0.0 <= strong_at < weak_at <= 1.0:
        raise ValueError(f"need 0 <= strong_at < weak_at <= 1, got {strong_at}, {weak_at}")


def classify(p_below: float, n: int, weak_at: float, strong_at: float) -> Status:
    """Classify a sub-domain (or a cohort cell) by its chance of being below target."""
    # With no items of its own, a sub-domain's posterior is only the domain's prior:
    # calling it weak or strong would judge it on evidence from other sub-domains.
    if n == 0:
        return NEEDS_MORE
    if p_below >= weak_at:
        return WEAK
    if p_below <= strong_at:
        return STRONG
    return NEEDS_MORE
