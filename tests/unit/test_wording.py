"""Surface features of option text: what counts as each form, and how words are folded."""

from __future__ import annotations

import math

import pytest

from exam_engine.domain import wording
from exam_engine.domain.wording import (
    FEATURE_LABELS,
    FORM_FEATURES,
    Form,
    content_words,
    count,
    inverse_document_frequency,
    normalise,
    odd_feature,
    words,
)


def test_a_phrase_pattern_matches_whole_words_any_case_and_any_spacing() -> None:
    pattern = wording._pattern("so that", "a.b")
    assert pattern.findall("Do it SO  THAT it works, so\tthat too") == ["SO  THAT", "so\tthat"]
    assert pattern.search("a.b") is not None
    assert pattern.search("axb") is None  # the dot is literal
    assert pattern.search("sothat") is None
    assert pattern.search("also that") is None  # whole words only


def test_words_are_casefolded_with_hyphens_and_apostrophes_kept() -> None:
    assert words("The Model's risk-based, AI-driven: 42 x") == [
        "the",
        "model's",
        "risk-based",
        "ai-driven",
        "42",
        "x",
    ]


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("policies", "policy"),
        ("ties", "tie"),  # 'ies' needs five letters; the plain 's' rule (four) applies
        ("flies", "fly"),
        ("testing", "test"),
        ("using", "using"),  # 'ing' needs six letters
        ("trained", "train"),
        ("used", "used"),  # 'ed' needs five letters
        ("classes", "class"),
        ("uses", "use"),  # 'es' needs five letters; the plain 's' rule (four) applies
        ("bus", "bus"),
        ("controls", "control"),
        ("gas", "gas"),  # three letters: kept
        ("access", "access"),  # a double s is never folded
        ("process", "process"),
    ],
)
def test_normalise_folds_simple_inflections(word: str, folded: str) -> None:
    assert normalise(word) == folded


def test_content_words_drop_stop_words_and_single_letters_and_fold_the_rest() -> None:
    assert content_words("The controls of a model x are tested by Q and the owners") == {
        "control",
        "model",
        "test",
        "owner",
    }


def test_count_counts_every_occurrence() -> None:
    assert count(wording.ABSOLUTE, "All logs, always, for every model and all users") == 4
    assert count(wording.ABSOLUTE, "Most logs") == 0


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("Assess the data and retrain", "two_part"),
        ("Assess the data, then retrain", "two_part"),
        ("Assess the data; retrain", "two_part"),
        ("Retrain as well as assess", "two_part"),
        ("Retrain so that errors fall", "justification"),
        ("Retrain to ensure accuracy", "justification"),
        ("Retrain every model", "absolute"),
        ("Retrain whenever asked", "absolute"),
        ("Retrain where necessary", "hedge"),
        ("Retrain based on the findings", "hedge"),
        ("Retrain without approval", "negation"),
        ("Use the old model instead of retraining", "negation"),
        ("Suspend the model", "drastic"),
        ("Decommission the model", "drastic"),
    ],
)
def test_each_form_is_read_from_its_own_words(text: str, feature: str) -> None:
    form = Form.of(text).as_dict()
    assert [name for name, present in form.items() if present] == [feature]


def test_a_plain_option_has_no_form_and_every_form_has_a_label() -> None:
    assert Form.of("Review the model card").as_dict() == dict.fromkeys(FORM_FEATURES, False)
    assert list(FEATURE_LABELS) == list(FORM_FEATURES)
    assert Form.of("Always stop and delete because not all").as_dict() == {
        "two_part": True,
        "justification": True,
        "absolute": True,
        "hedge": False,
        "negation": True,
        "drastic": True,
    }


def test_an_option_is_odd_when_it_alone_has_or_alone_lacks_a_form() -> None:
    options = ["Assess the data and retrain", "Retrain", "Review", "Pause"]
    assert odd_feature(options, 0) == ["two_part"]  # the only one with two parts
    assert odd_feature(options, 1) == []
    lacking = ["Assess and retrain", "Review and log", "Retrain", "Pause and report"]
    assert odd_feature(lacking, 2) == ["two_part"]  # the only one without
    assert odd_feature(lacking, 0) == []


def test_with_two_options_only_having_a_form_makes_one_odd() -> None:
    # With two options, one having and one lacking a form, only the one with it is odd:
    # "the only one without" needs three or more options to mean anything.
    assert odd_feature(["Assess and retrain", "Retrain"], 0) == ["two_part"]
    assert odd_feature(["Assess and retrain", "Retrain"], 1) == []
    assert odd_feature(["Assess and retrain", "Retrain", "Review and log"], 1) == ["two_part"]


def test_inverse_document_frequency_is_smoothed() -> None:
    idf = inverse_document_frequency([{"model", "risk"}, {"model"}, {"audit"}])
    assert idf == {
        "model": math.log(4 / 3) + 1.0,
        "risk": math.log(4 / 2) + 1.0,
        "audit": math.log(4 / 2) + 1.0,
    }
    assert inverse_document_frequency([]) == {}
