"""Lint on surface cues, give-aways across items and stale facts: fires, or stays quiet."""

from __future__ import annotations

import dataclasses
import math
from datetime import date

import pytest

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.lint.cross_item_rules import (
    check_key_in_stem,
    check_near_duplicate_items,
    check_shared_key_idea,
)
from exam_engine.domain.lint.cue_rules import (
    FORM_MIN_ITEMS,
    check_form_asymmetry,
    check_form_balance,
    form_shares,
    two_proportion_p,
)
from exam_engine.domain.lint.currency_rules import (
    SUPERSEDED,
    check_as_of_required,
    check_superseded,
    superseded_claims,
)
from tests.unit.test_lint import make_item

PLAIN = (
    "Retrain the model at once on records from the three clinics",
    "Assess whether the new clinic's data differs from the training data",
    "Route patients from the new clinic to manual triage for now",
    "Ask the vendor to certify the model for the new clinic's patients",
)


def with_option(index: int, text: str, options: tuple[str, ...] = PLAIN) -> tuple[str, ...]:
    changed = list(options)
    changed[index] = text
    return tuple(changed)


def messages(findings) -> list[str]:
    return [f.message for f in findings]


# --- form-asymmetry ---------------------------------------------------------------------------


def test_a_key_that_alone_has_two_parts_is_flagged_at_the_key() -> None:
    item = make_item(
        options=with_option(1, "Assess the new clinic's data and compare it with the training set")
    )
    found = list(check_form_asymmetry(item))
    assert [f.rule for f in found] == ["form-asymmetry"]
    assert found[0].level == "warning"
    assert "the only option with two parts" in found[0].message
    assert found[0].line == item.line_of("options.B")


def test_a_key_that_alone_lacks_two_parts_is_flagged_too() -> None:
    options = (
        "Retrain the model and redeploy it to the three clinics",
        "Assess whether the new clinic's data differs from the training data",
        "Route patients to manual triage and tell the clinic why",
        "Ask the vendor for a fix and a certificate for the new clinic",
    )
    found = list(check_form_asymmetry(make_item(options=options)))
    assert ["the only option without two parts" in m for m in messages(found)] == [True]


def test_a_distractor_of_the_same_form_silences_the_rule() -> None:
    options = with_option(1, "Assess the new clinic's data and compare it with the training set")
    options = with_option(3, "Ask the vendor to retest and to certify the model", options)
    assert list(check_form_asymmetry(make_item(options=options))) == []


@pytest.mark.parametrize(
    ("key_text", "label"),
    [
        ("Assess the new clinic's data so that the cause is known", "justification"),
        ("Assess every clinic's data against the training data", "absolute"),
    ],
)
def test_a_lone_justification_or_absolute_in_the_key_is_flagged(key_text: str, label: str) -> None:
    found = list(check_form_asymmetry(make_item(options=with_option(1, key_text))))
    assert len(found) == 1
    assert label in found[0].message


def test_hedges_are_left_to_the_bank_rule() -> None:
    # A lone hedge in the key is judged over the bank (form-balance), not item by item.
    item = make_item(options=with_option(1, "Assess the clinic's data with an appropriate test"))
    assert list(check_form_asymmetry(item)) == []


def test_an_item_without_four_options_is_skipped() -> None:
    assert list(check_form_asymmetry(make_item(options=PLAIN[:3]))) == []


# --- form-balance -----------------------------------------------------------------------------


def numbered(item: ItemRecord, n: int) -> ItemRecord:
    return dataclasses.replace(item, key=f"D3-B-{n:03d}")


def test_keys_that_always_have_two_parts_fail_the_bank() -> None:
    item = make_item(
        options=with_option(1, "Assess the new clinic's data and compare it with the training set")
    )
    found = list(check_form_balance([numbered(item, n) for n in range(FORM_MIN_ITEMS)]))
    assert [(f.rule, f.level, f.file) for f in found] == [("form-balance", "error", "<bank>")]
    assert "100% of keys but 0% of distractors" in found[0].message
    assert "pick" in found[0].message


def test_distractors_that_always_argue_for_themselves_tell_the_guesser_to_avoid_them() -> None:
    options = tuple(
        f"{text} so that the cause is known" if i != 1 else text for i, text in enumerate(PLAIN)
    )
    found = list(check_form_balance([numbered(make_item(options=options), n) for n in range(40)]))
    assert len(found) == 1
    assert "avoid" in found[0].message


def test_balanced_forms_pass_the_bank() -> None:
    two_part = with_option(1, "Assess the new clinic's data and compare it with the training set")
    other = with_option(0, "Retrain the model and redeploy it to the three clinics")
    items = [numbered(make_item(options=two_part if n % 2 else other), n) for n in range(60)]
    # Half the keys and a sixth of the distractors have two parts: a gap, but is it chance?
    shares = [f.message for f in check_form_balance(items)]
    assert len(shares) == 1  # 50% vs 17% over 60 items is no accident
    balanced = [numbered(make_item(options=PLAIN), n) for n in range(60)]
    assert list(check_form_balance(balanced)) == []


def test_too_few_items_are_not_judged() -> None:
    item = make_item(
        options=with_option(1, "Assess the new clinic's data and compare it with the training set")
    )
    assert list(check_form_balance([numbered(item, n) for n in range(FORM_MIN_ITEMS - 1)])) == []


def test_two_proportion_p() -> None:
    assert two_proportion_p(5, 10, 15, 30) == 1.0
    assert two_proportion_p(1, 0, 3, 30) == 1.0
    assert two_proportion_p(0, 10, 0, 30) == 1.0
    # 30/50 against 10/50: pooled 0.4, z = 0.4 / sqrt(0.24 * 0.04) = 4.082
    assert two_proportion_p(30, 50, 10, 50) == pytest.approx(
        math.erfc(4.0825 / math.sqrt(2)), rel=1e-3
    )


def test_a_one_item_side_still_gets_a_p_value() -> None:
    # 3/10 against 1/1: pooled 4/11, z = 0.7 / sqrt(4/11 * 7/11 * 1.1)
    z = 0.7 / math.sqrt(4 / 11 * 7 / 11 * (1 / 10 + 1))
    assert two_proportion_p(3, 10, 1, 1) == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)


def test_form_shares_count_each_key_once_and_three_distractors_per_item() -> None:
    two_part = "Assess the new clinic's data and compare it with the training set"
    items = [
        make_item(options=with_option(0, two_part), answer=0),  # a key in position A
        make_item(options=with_option(0, two_part), answer=1),
        make_item(options=with_option(3, two_part), answer=3),
        make_item(options=PLAIN[:3], answer=0),  # not four options: left out
    ]
    keys, distractors, p_value = form_shares(items)["two_part"]
    assert (keys, distractors) == (2 / 3, 1 / 9)
    assert p_value == two_proportion_p(2, 3, 1, 9)


def test_a_lone_two_part_key_in_position_a_is_flagged() -> None:
    two_part = "Assess the new clinic's data and compare it with the training set"
    item = make_item(options=with_option(0, two_part), answer=0)
    found = list(check_form_asymmetry(item))
    assert [f.rule for f in found] == ["form-asymmetry"]
    assert "the key (A) is the only option with" in found[0].message


# --- across items -----------------------------------------------------------------------------

KEYED = make_item(
    key="D2-C-001",
    options=with_option(
        2, "Contract clause barring the vendor from training models on customer records"
    ),
    answer=2,
)
TELLER = make_item(
    key="D2-C-002",
    stem=(
        "A bank's contract includes a clause barring the vendor from training models on customer "
        "records. The vendor now proposes a new analytics feature. What should the manager "
        "review FIRST?"
    ),
)


def test_a_stem_that_states_another_items_key_is_an_error_on_the_keyed_item() -> None:
    found = list(check_key_in_stem([KEYED, TELLER]))
    assert [(f.key, f.rule, f.level) for f in found] == [("D2-C-001", "key-in-stem", "error")]
    assert "D2-C-002's stem" in found[0].message


def test_enemies_may_give_each_other_away() -> None:
    keyed = dataclasses.replace(KEYED, enemies=("D2-C-002",))
    assert list(check_key_in_stem([keyed, TELLER])) == []


def test_an_unrelated_stem_gives_nothing_away() -> None:
    assert list(check_key_in_stem([KEYED, make_item(key="D2-C-003")])) == []


def test_two_keys_with_the_same_idea_are_flagged_unless_enemies() -> None:
    first = make_item(
        key="D1-A-001", options=with_option(1, "Name an owner and a purpose for each model")
    )
    second = make_item(
        key="D1-A-002",
        stem="An insurer finds twelve models nobody can explain. What should it do FIRST?",
        options=with_option(1, "Name a purpose and an owner for each model"),
    )
    found = list(check_shared_key_idea([first, second]))
    assert [(f.key, f.rule, f.level) for f in found] == [("D1-A-002", "shared-key-idea", "warning")]
    assert "D1-A-001" in found[0].message
    assert (
        list(check_shared_key_idea([first, dataclasses.replace(second, enemies=("D1-A-001",))]))
        == []
    )


def test_keys_of_fewer_than_three_words_are_not_compared() -> None:
    first = make_item(key="D1-A-001", options=with_option(1, "Model owners"))
    second = make_item(
        key="D1-A-002",
        stem="Another stem entirely. Which is BEST?",
        options=with_option(1, "Model owners"),
    )
    assert list(check_shared_key_idea([first, second])) == []


def test_near_duplicate_items_are_flagged_and_distinct_ones_are_not() -> None:
    copy = make_item(key="D3-B-002", stem=make_item().stem.replace("two clinics", "two hospitals"))
    found = list(check_near_duplicate_items([make_item(), copy]))
    assert [(f.key, f.rule) for f in found] == [("D3-B-002", "near-duplicate-item")]
    other = make_item(
        key="D3-B-003",
        stem="A retailer's chatbot leaks discount codes after reading a supplier page. Which BEST?",
        options=(
            "Keep the codes out of the assistant's reach",
            "Tell the model to ignore retrieved instructions",
            "Retrain the model on injected text",
            "Stop indexing supplier pages",
        ),
    )
    assert list(check_near_duplicate_items([make_item(), other])) == []


# --- currency ---------------------------------------------------------------------------------


def test_a_dated_item_without_as_of_is_an_error() -> None:
    item = make_item(references=("ISO/IEC 42001, clause 6.1",))
    found = list(check_as_of_required(item))
    assert [(f.rule, f.level) for f in found] == [("as-of-required", "error")]
    assert "'clause'" in found[0].message
    assert list(check_as_of_required(dataclasses.replace(item, as_of=date(2026, 12, 5)))) == []


def test_an_undated_item_needs_no_as_of() -> None:
    assert list(check_as_of_required(make_item())) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "High-risk obligations for deployers apply from 2 August 2026.",
            "EU AI Act high-risk date",
        ),
        (
            "From Aug. 2, 2026 every high-risk system must be registered.",
            "EU AI Act high-risk date",
        ),
        ("Colorado's SB 24-205 requires an impact assessment each year.", "Colorado AI Act"),
        ("Under Art. 4 deployers must ensure staff AI literacy.", "EU AI Act Article 4"),
    ],
)
def test_each_superseded_claim_is_recognised(text: str, name: str) -> None:
    assert [claim.name for claim in superseded_claims(text)] == [name]


@pytest.mark.parametrize(
    "text",
    [
        "Article 50 transparency duties apply from 2 August 2026. High-risk duties come later.",
        "The Omnibus moved the high-risk date from 2 August 2026 to 2 December 2027.",
        "Article 4 no longer places a literacy duty on deployers.",
        "ISO/IEC 42001 clause 7.3 requires awareness of the AI policy.",
    ],
)
def test_current_statements_are_not_superseded_claims(text: str) -> None:
    assert superseded_claims(text) == []


def test_the_superseded_rule_points_at_the_field() -> None:
    item = make_item(
        rationales=(
            *make_item().rationales[:2],
            "Stopgap only: high-risk duties bite on 2 August 2026, so act now.",
            make_item().rationales[3],
        )
    )
    found = list(check_superseded(item))
    assert [(f.rule, f.level, f.line) for f in found] == [
        ("superseded-fact", "error", item.line_of("rationale.C"))
    ]
    assert found[0].message == SUPERSEDED[0].message


def test_a_clean_item_states_nothing_superseded() -> None:
    assert list(check_superseded(make_item())) == []
