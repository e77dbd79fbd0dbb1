"""Blueprint and exam-template value objects (data, never constants about one certification)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from exam_engine.domain.errors import BlueprintError
from exam_engine.domain.vocabulary import Difficulty, Mode, values

DIFFICULTIES: tuple[str, ...] = values(Difficulty)
MODES: tuple[str, ...] = values(Mode)


@dataclass(frozen=True)
class Subdomain:
    """A sub-domain such as ``D2-B``; ``weight`` is relative inside its domain."""

    code: str
    domain: str
    title: str
    weight: int = 1


@dataclass(frozen=True)
class Domain:
    """A blueprint domain with its exam weight (relative integer, e.g. a percentage)."""

    code: str
    title: str
    weight: int
    subdomains: tuple[Subdomain, ...]


@dataclass(frozen=True)
class TemplateSpec:
    """An exam template as data: how many items, how long, which weights and filters.

    ``domain_weights`` empty means the blueprint's weights; ``subdomains`` empty means all.
    ``difficulty_mix`` maps difficulty to a target share (empty: no difficulty target).
    """

    name: str
    title: str
    item_count: int
    minutes: int
    mode: str = Mode.EXAM
    domain_weights: Mapping[str, int] = field(default_factory=dict)
    subdomains: tuple[str, ...] = ()
    difficulty_mix: Mapping[str, float] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Blueprint:
    """A certification's blueprint: domains, sub-domains and the templates it ships."""

    name: str
    title: str
    domains: tuple[Domain, ...]
    templates: tuple[TemplateSpec, ...] = ()

    def domain(self, code: str) -> Domain:
        """Return the domain with this code, or raise BlueprintError."""
        for domain in self.domains:
            if domain.code == code:
                return domain
        raise BlueprintError(f"unknown domain {code!r}")

    def subdomain(self, code: str) -> Subdomain:
        """Return the sub-domain with this code, or raise BlueprintError."""
        for domain in self.domains:
            for sub in domain.subdomains:
                if sub.code == code:
                    return sub
        raise BlueprintError(f"unknown sub-domain {code!r}")

    @property
    def subdomain_codes(self) -> tuple[str, ...]:
        """All sub-domain codes in blueprint order."""
        return tuple(s.code for d in self.domains for s in d.subdomains)

    def template(self, name: str) -> TemplateSpec:
        """Return the template with this name, or raise BlueprintError."""
        for template in self.templates:
            if template.name == name:
                return template
        known = ", ".join(t.name for t in self.templates) or "none"
        raise BlueprintError(f"unknown template {name!r} (known: {known})")

    def weights_for(self, template: TemplateSpec) -> dict[str, Fraction]:
        """Domain shares for a template as exact fractions summing to 1.

        Domains with no sub-domain left after the template's filter get no share.
        """
        raw = dict(template.domain_weights) or {d.code: d.weight for d in self.domains}
        allowed = set(template.subdomains)
        shares: dict[str, int] = {}
        for domain in self.domains:
            weight = raw.get(domain.code, 0)
            if weight <= 0:
                continue
            if allowed and not any(s.code in allowed for s in domain.subdomains):
                continue
            shares[domain.code] = weight
        unknown = set(raw) - {d.code for d in self.domains}
        if unknown:
            raise BlueprintError(
                f"template {template.name!r} weights unknown domains: {sorted(unknown)}"
            )
        total = sum(shares.values())
        if total <= 0:
            raise BlueprintError(f"template {template.name!r} has no domain with weight")
        return {code: Fraction(w, total) for code, w in shares.items()}
