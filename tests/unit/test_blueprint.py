"""Blueprint look-ups by code and name, and a template's domain shares as exact fractions."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain, TemplateSpec
from exam_engine.domain.errors import BlueprintError


def _domain(code: str, weight: int, letters: str) -> Domain:
    subs = tuple(Subdomain(f"{code}-{x}", code, f"{code} {x}") for x in letters)
    return Domain(code, f"Domain {code}", weight, subs)


def _template(name: str = "t", **kwargs: object) -> TemplateSpec:
    return TemplateSpec(name=name, title="T", item_count=10, minutes=20, **kwargs)  # type: ignore[arg-type]


def _blueprint(*templates: TemplateSpec) -> Blueprint:
    domains = (_domain("D1", 31, "AB"), _domain("D2", 31, "A"), _domain("D3", 38, "AB"))
    return Blueprint(name="bp", title="BP", domains=domains, templates=templates)


def _refused(message: str) -> pytest.RaisesExc[BlueprintError]:
    return pytest.raises(BlueprintError, match=f"^{re.escape(message)}$")


def test_domains_subdomains_and_templates_are_found_by_code_and_name() -> None:
    quiz = _template("quiz")
    blueprint = _blueprint(_template("full"), quiz)
    assert blueprint.domain("D3").weight == 38
    assert blueprint.subdomain("D3-B").domain == "D3"
    assert blueprint.template("quiz") is quiz
    assert blueprint.subdomain_codes == ("D1-A", "D1-B", "D2-A", "D3-A", "D3-B")


def test_an_unknown_domain_or_subdomain_is_named_in_the_error() -> None:
    blueprint = _blueprint()
    with _refused("unknown domain 'D9'"):
        blueprint.domain("D9")
    with _refused("unknown sub-domain 'D2-B'"):
        blueprint.subdomain("D2-B")


def test_an_unknown_template_lists_the_known_ones() -> None:
    with _refused("unknown template 'drill' (known: full, quiz)"):
        _blueprint(_template("full"), _template("quiz")).template("drill")


def test_an_unknown_template_of_a_blueprint_without_templates_says_none_are_known() -> None:
    with _refused("unknown template 'drill' (known: none)"):
        _blueprint().template("drill")


def test_the_blueprint_weights_are_the_default_shares_and_sum_to_one() -> None:
    shares = _blueprint().weights_for(_template())
    assert shares == {"D1": Fraction(31, 100), "D2": Fraction(31, 100), "D3": Fraction(38, 100)}


def test_template_weights_replace_the_blueprints_and_zero_weights_get_no_share() -> None:
    template = _template(domain_weights={"D1": 1, "D2": 0, "D3": 3})
    assert _blueprint().weights_for(template) == {"D1": Fraction(1, 4), "D3": Fraction(3, 4)}


def test_a_domain_without_an_allowed_subdomain_gets_no_share() -> None:
    template = _template(subdomains=("D1-B", "D3-A"))
    assert _blueprint().weights_for(template) == {"D1": Fraction(31, 69), "D3": Fraction(38, 69)}


def test_template_weights_for_unknown_domains_are_refused_by_name() -> None:
    template = _template("drill", domain_weights={"D1": 1, "D9": 2, "D8": 1})
    with _refused("template 'drill' weights unknown domains: ['D8', 'D9']"):
        _blueprint().weights_for(template)


def test_a_template_left_with_no_weighted_domain_is_refused() -> None:
    # D2 is the only domain with weight, and the filter keeps none of its sub-domains.
    template = _template("drill", domain_weights={"D2": 1}, subdomains=("D1-A",))
    with _refused("template 'drill' has no domain with weight"):
        _blueprint().weights_for(template)
