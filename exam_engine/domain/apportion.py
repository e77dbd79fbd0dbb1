"""Largest-remainder (Hamilton) apportionment in exact fractions.

Used three times per exam form: the item count across domains, each domain's count across its
sub-domains, and the form across difficulties. Arithmetic is exact (``Fraction``) so that no
float rounding ever moves a seat, and ties are broken by a fixed rule, so the same blueprint
and template always give the same counts:

1. the larger remainder wins;
2. on equal remainders, the larger weight wins;
3. on equal weights too, the key earlier in ``order`` wins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

from exam_engine.domain.blueprint import DIFFICULTIES, Blueprint, Subdomain, TemplateSpec
from exam_engine.domain.errors import BlueprintError


def largest_remainder(
    total: int, weights: Mapping[str, Fraction], order: Sequence[str]
) -> dict[str, int]:
    """Split ``total`` seats in proportion to ``weights``; keys come back in ``order``.

    Each key first gets the floor of its exact quota ``total * weight / sum(weights)``; the
    seats left over go one each by the tie-break rule of this module. Weights need not sum
    to one, but must be non-negative with a positive sum, and ``order`` must list each key once.
    """
    if total < 0:
        raise ValueError(f"cannot apportion a negative total ({total})")
    if len(order) != len(weights) or set(order) != set(weights):
        raise ValueError("order must list every weighted key exactly once")
    if any(weights[key] < 0 for key in order):
        raise ValueError("weights must not be negative")
    weight_sum = sum((Fraction(weights[key]) for key in order), Fraction(0))
    if weight_sum <= 0:
        raise ValueError("weights must have a positive sum")
    seats: dict[str, int] = {}
    # Remainders are kept scaled by weight_sum: comparing them needs no further division.
    remainders: dict[str, Fraction] = {}
    for key in order:
        whole, rest = divmod(total * Fraction(weights[key]), weight_sum)
        seats[key] = int(whole)
        remainders[key] = rest
    position = {key: i for i, key in enumerate(order)}
    left = total - sum(seats.values())
    ranked = sorted(order, key=lambda key: (-remainders[key], -weights[key], position[key]))
    for key in ranked[:left]:
        seats[key] += 1
    return seats


def apportion_subdomains(count: int, subdomains: Sequence[Subdomain]) -> dict[str, int]:
    """Split a domain's ``count`` across ``subdomains`` by weight, at least one each if it fits.

    Plain largest remainder first. When ``count`` covers every sub-domain but a light one got
    no seat, it takes one from the sub-domain most over its exact quota (ties: the later one),
    so coverage never needs more than the smallest move away from proportionality.
    """
    order = [sub.code for sub in subdomains]
    for sub in subdomains:
        if sub.weight <= 0:
            raise BlueprintError(f"sub-domain {sub.code} has weight {sub.weight}; must be > 0")
    weights = {sub.code: Fraction(sub.weight) for sub in subdomains}
    seats = largest_remainder(count, weights, order)
    if count < len(order):
        return seats
    weight_sum = sum(weights.values(), Fraction(0))
    quota = {code: count * weights[code] / weight_sum for code in order}
    position = {code: i for i, code in enumerate(order)}
    empty = sorted(
        (code for code in order if seats[code] == 0), key=lambda c: (-quota[c], position[c])
    )
    for code in empty:
        # count >= len(order) and a sub-domain has no seat: by pigeonhole one has two or more.
        donor = max(
            (c for c in order if seats[c] >= 2), key=lambda c: (seats[c] - quota[c], position[c])
        )
        seats[donor] -= 1
        seats[code] = 1
    return seats


def template_counts(
    blueprint: Blueprint, template: TemplateSpec
) -> tuple[dict[str, int], dict[str, int]]:
    """Return a template's item counts per domain and per sub-domain, in blueprint order."""
    if template.item_count < 1:
        raise BlueprintError(
            f"template {template.name!r} asks for {template.item_count} items; must be >= 1"
        )
    allowed = set(template.subdomains)
    unknown = allowed - set(blueprint.subdomain_codes)
    if unknown:
        raise BlueprintError(
            f"template {template.name!r} names unknown sub-domains: {sorted(unknown)}"
        )
    shares = blueprint.weights_for(template)
    order = [domain.code for domain in blueprint.domains if domain.code in shares]
    by_domain = largest_remainder(template.item_count, shares, order)
    by_subdomain: dict[str, int] = {}
    for code in order:
        subs = [s for s in blueprint.domain(code).subdomains if not allowed or s.code in allowed]
        by_subdomain.update(apportion_subdomains(by_domain[code], subs))
    return by_domain, by_subdomain


def difficulty_shares(template: TemplateSpec) -> dict[str, Fraction]:
    """Return the template's difficulty mix as exact shares summing to one (empty: no target)."""
    mix = template.difficulty_mix
    if not mix:
        return {}
    unknown = set(mix) - set(DIFFICULTIES)
    if unknown:
        raise BlueprintError(
            f"template {template.name!r} mixes unknown difficulties: {sorted(unknown)}"
        )
    raw: dict[str, Fraction] = {}
    for level in DIFFICULTIES:
        if level not in mix:
            continue
        share = float(mix[level])
        if not math.isfinite(share) or share < 0:
            raise BlueprintError(f"template {template.name!r} gives {level} the share {share}")
        # Through the decimal text, so 0.1 means 1/10 as the author wrote it, not the
        # binary float nearest to it (which would tip ties unpredictably).
        raw[level] = Fraction(repr(share))
    total = sum(raw.values(), Fraction(0))
    if total <= 0:
        raise BlueprintError(f"template {template.name!r} has a difficulty mix summing to 0")
    return {level: share / total for level, share in raw.items()}
