"""The bundled AAISM bank is clean, large enough and spread by the blueprint."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from exam_engine.domain.lint import lint, summarize
from question_bank import BUNDLED_BANK, load_bank

BANK_SIZE = 300


@pytest.fixture(scope="module")
def bank():
    return load_bank(BUNDLED_BANK)


def test_bundled_bank_validates(bank) -> None:
    assert bank.problems == (), "\n".join(map(str, bank.problems))
    assert len(bank.items) >= BANK_SIZE


def test_bundled_bank_has_no_lint_errors(bank) -> None:
    findings = lint(bank.items)
    errors = [str(f) for f in findings if f.level == "error"]
    assert errors == []
    assert summarize(findings)["errors"] == 0


def test_every_subdomain_has_at_least_its_share_of_300(bank) -> None:
    counts = Counter(item.subdomain for item in bank.items)
    for domain in bank.blueprint.domains:
        share = BANK_SIZE * domain.weight / sum(d.weight for d in bank.blueprint.domains)
        floor = math.ceil(share / len(domain.subdomains))
        for sub in domain.subdomains:
            assert counts[sub.code] >= floor, f"{sub.code} has {counts[sub.code]}, needs {floor}"


def test_every_subdomain_mixes_difficulties(bank) -> None:
    by_sub: dict[str, Counter[str]] = {}
    for item in bank.items:
        by_sub.setdefault(item.subdomain, Counter())[item.difficulty] += 1
    for code, counts in by_sub.items():
        assert set(counts) == {"easy", "medium", "hard"}, code


def test_keys_are_spread_over_the_letters(bank) -> None:
    letters = Counter(item.answer for item in bank.items)
    for index in range(4):
        assert 0.18 <= letters[index] / len(bank.items) <= 0.32
