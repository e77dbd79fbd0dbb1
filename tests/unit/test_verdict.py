"""The scorecard's verdict: ready, borderline, not ready, and the boundaries of the rule."""

from __future__ import annotations

import pytest

from exam_engine.domain.readiness import pass_probability
from exam_engine.domain.verdict import (
    TAIL,
    ability_verdict,
    classical_verdict,
    rate_above_cut,
    verdict_of,
)
from exam_engine.domain.vocabulary import Verdict


@pytest.mark.parametrize(
    ("p_pass", "above", "verdict"),
    [
        # Ready needs both: P(pass) >= 0.80 and the 90% interval's lower end at the cut.
        (0.80, 0.95, Verdict.READY),
        (0.7999, 0.95, Verdict.BORDERLINE),
        (0.80, 0.9499, Verdict.BORDERLINE),
        (1.0, 1.0, Verdict.READY),
        # Not ready needs both: P(pass) <= 0.20 and the interval wholly below the cut.
        (0.20, 0.05, Verdict.NOT_READY),
        (0.2001, 0.05, Verdict.BORDERLINE),
        (0.20, 0.0501, Verdict.BORDERLINE),
        (0.0, 0.0, Verdict.NOT_READY),
        # The interval straddles the cut.
        (0.5, 0.5, Verdict.BORDERLINE),
    ],
)
def test_verdict_boundaries(p_pass: float, above: float, verdict: Verdict) -> None:
    assert verdict_of(p_pass, above) == verdict


def test_the_tail_is_that_of_a_90_percent_interval() -> None:
    assert TAIL == pytest.approx(0.05)


@pytest.mark.parametrize(("p_pass", "above"), [(-0.01, 0.5), (0.5, 1.01), (1.2, 0.0)])
def test_probabilities_outside_0_1_are_refused_by_name(p_pass: float, above: float) -> None:
    with pytest.raises(ValueError, match="must be in"):
        verdict_of(p_pass, above)


def test_rate_above_cut_is_the_beta_posterior_tail() -> None:
    # Uniform prior and 1 of 2: Beta(2, 2), P(rate >= 0.5) = 0.5 by symmetry.
    assert rate_above_cut(1, 2, target=0.5) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="correct"):
        rate_above_cut(3, 2, target=0.65)


def _classical(correct: int, total: int, mocks: int = 1) -> Verdict:
    probability = pass_probability(correct, total, target=0.65, form_size=90)
    return classical_verdict(
        correct, total, mocks, pass_probability=probability, target=0.65
    ).verdict


def test_classical_verdicts_on_whole_mocks() -> None:
    # 19 of 90 is far below 65%; 85 of 326 (26%) too.
    assert _classical(19, 90) == Verdict.NOT_READY
    assert _classical(85, 326, mocks=4) == Verdict.NOT_READY
    # 60% on one mock: the interval still reaches the cut.
    assert _classical(54, 90) == Verdict.BORDERLINE
    # 80% on one mock clears it.
    assert _classical(72, 90) == Verdict.READY


def test_the_same_rate_on_few_items_is_borderline() -> None:
    # 80% of 20 questions: P(pass) is 0.89, but the interval still reaches below 65%.
    assert pass_probability(16, 20) >= 0.80
    assert _classical(16, 20) == Verdict.BORDERLINE
    assert _classical(144, 180, mocks=2) == Verdict.READY


def test_the_evidence_sentence_names_mocks_and_items() -> None:
    probability = pass_probability(85, 326)
    judged = classical_verdict(85, 326, 4, pass_probability=probability, target=0.65)
    assert judged.evidence.startswith("Rests on your first answers to 326 questions in 4 finished")
    assert judged.to_dict()["source"] == "classical"
    assert judged.to_dict()["attempts"] == 4
    one = classical_verdict(1, 1, 1, pass_probability=0.5, target=0.65)
    assert "1 question in 1 finished mock " in one.evidence


def test_ability_verdict_uses_p_above_cut_for_both() -> None:
    assert ability_verdict(0.95, 88, 90).verdict == Verdict.READY
    assert ability_verdict(0.94, 88, 90).verdict == Verdict.BORDERLINE
    assert ability_verdict(0.05, 88, 90).verdict == Verdict.NOT_READY
    judged = ability_verdict(0.5, 88, 90)
    assert judged.source == "ability"
    assert "this attempt alone: 90 questions (88 answered)" in judged.evidence
