"""The bundled AAISM bank: clean, large enough, spread by the blueprint, hard to game, reviewed."""

from __future__ import annotations

from collections import Counter

import pytest

from exam_engine.domain import review, testwise
from exam_engine.domain.apportion import template_counts
from exam_engine.domain.lint import lint, summarize
from question_bank import BUNDLED_BANK, load_bank
from question_bank.reviews import load_reviews, review_folder

BANK_SIZE = 1000
# Ten mocks of the full template without repeating an item, in every sub-domain.
FORMS_WITHOUT_REPEAT = 10
FULL_TEMPLATE = "aaism-full"

pytestmark = pytest.mark.whole_bank


@pytest.fixture(scope="module")
def bank():
    return load_bank(BUNDLED_BANK)


@pytest.fixture(scope="module")
def solver_report(bank):
    return testwise.run(bank.items)


def test_bundled_bank_validates_and_holds_a_thousand_items(bank) -> None:
    assert bank.problems == (), "\n".join(map(str, bank.problems))
    assert len(bank.items) >= BANK_SIZE


def test_bundled_bank_is_lint_clean_with_every_rule(bank) -> None:
    findings = lint(bank.items)
    assert [str(f) for f in findings] == []
    assert summarize(findings) == {"errors": 0, "warnings": 0}


def test_every_subdomain_holds_ten_full_forms(bank) -> None:
    template = next(t for t in bank.blueprint.templates if t.name == FULL_TEMPLATE)
    _, per_form = template_counts(bank.blueprint, template)
    counts = Counter(item.subdomain for item in bank.items)
    short = {
        code: (counts[code], FORMS_WITHOUT_REPEAT * need)
        for code, need in per_form.items()
        if counts[code] < FORMS_WITHOUT_REPEAT * need
    }
    assert short == {}


def test_no_surface_strategy_beats_the_limit(solver_report) -> None:
    assert solver_report.items >= BANK_SIZE
    assert solver_report.failing() == {}


def test_every_item_has_a_passing_blind_review_of_its_current_text(bank) -> None:
    reviews, problems = load_reviews(review_folder(BUNDLED_BANK))
    assert [str(p) for p in problems] == []
    found = review.coverage(bank.items, reviews)
    assert found.unreviewed == ()
    assert found.stale == ()
    assert found.failed == ()


def test_every_item_says_when_its_facts_were_checked(bank) -> None:
    assert [item.key for item in bank.items if item.as_of is None] == []


def test_every_subdomain_mixes_difficulties(bank) -> None:
    by_sub: dict[str, Counter[str]] = {}
    for item in bank.items:
        by_sub.setdefault(item.subdomain, Counter())[item.difficulty] += 1
    for code, counts in by_sub.items():
        assert set(counts) == {"easy", "medium", "hard"}, code
    # Labels follow the blind reviewers, who found most first drafts easier than labelled;
    # hard items (two facts, or a detail deciding between two defensible moves) stay a
    # tenth of the bank at least.
    hard = sum(counts["hard"] for counts in by_sub.values())
    assert hard >= len(bank.items) / 10


def test_keys_are_spread_over_the_letters(bank) -> None:
    letters = Counter(item.answer for item in bank.items)
    for index in range(4):
        assert 0.22 <= letters[index] / len(bank.items) <= 0.28


def test_difficulty_labels_follow_the_reviewers_label_notes(bank) -> None:
    # A passing review may disagree with the label only: its note starts "label: <level>",
    # and the item carries that level.
    reviews, _ = load_reviews(review_folder(BUNDLED_BANK))
    found = review.coverage(bank.items, reviews)
    by_key = {item.key: item for item in bank.items}
    wrong = {
        key: (by_key[key].difficulty, passing.note)
        for key, passing in found.reviewed.items()
        if passing.note.startswith("label:")
        and passing.note.split(":", 1)[1].split()[0].strip(" .;,") != by_key[key].difficulty
    }
    assert wrong == {}
