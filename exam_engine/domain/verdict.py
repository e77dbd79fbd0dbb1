"""The scorecard's verdict: ready, borderline or not ready, from the pass probability and its
uncertainty.

Two numbers go in, both this engine's estimates:

- ``pass_probability``: the chance of passing. Classically, P(at least the cut on a new form)
  from the Beta-binomial over pooled first answers; with a calibration, P(ability > cut).
- ``above_cut``: the posterior probability that the true rate (or ability) is at or above
  the cut. It is at least 0.95 exactly when the lower end of the 90% credible interval is at
  or above the cut, and at most 0.05 exactly when the upper end is below it.

The rule (boundaries inclusive):

- **ready**: pass_probability >= 0.80 and above_cut >= 0.95: the whole 90% credible interval
  clears the cut and most new forms would be passed;
- **not ready**: pass_probability <= 0.20 and above_cut <= 0.05: the whole interval is
  below the cut and most new forms would be failed;
- **borderline**: everything else: the interval straddles the cut, or it clears the cut by so
  little that a new form is close to a coin toss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exam_engine.domain.stats import BetaDist
from exam_engine.domain.vocabulary import Verdict

READY_PASS = 0.80
NOT_READY_PASS = 0.20
CREDIBLE_MASS = 0.90
# The interval's tails: above_cut >= 1 - TAIL means its lower end clears the cut.
TAIL = (1.0 - CREDIBLE_MASS) / 2.0


class VerdictBasis:
    """Where the verdict's figures come from (the API's ``verdict_basis.source``)."""

    ABILITY = "ability"
    CLASSICAL = "classical"


def _check_probability(name: str, value: float) -> None:
    """Reject a probability outside [0, 1], naming it."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")


def verdict_of(pass_probability: float, above_cut: float) -> Verdict:
    """Return the verdict for these two probabilities (the rule is in the module docstring)."""
    _check_probability("pass_probability", pass_probability)
    _check_probability("above_cut", above_cut)
    # The tolerance keeps 1 - 0.05 = 0.95000000000000001 on the side the rule says.
    if pass_probability >= READY_PASS and above_cut >= 1.0 - TAIL - 1e-12:
        return Verdict.READY
    if pass_probability <= NOT_READY_PASS and above_cut <= TAIL + 1e-12:
        return Verdict.NOT_READY
    return Verdict.BORDERLINE


def rate_above_cut(correct: int, total: int, *, target: float) -> float:
    """Return P(true rate >= target) under the uniform-prior Beta posterior of the counts."""
    if total < 0 or not 0 <= correct <= total:
        raise ValueError(f"need 0 <= correct <= total, got {correct} of {total}")
    return 1.0 - BetaDist(1.0, 1.0).updated(correct, total - correct).cdf(target)


@dataclass(frozen=True)
class ReadinessVerdict:
    """A verdict with the figures it used and one sentence on the evidence."""

    verdict: Verdict
    source: str
    pass_probability: float
    above_cut: float
    attempts: int
    items: int
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        """Return the result API's ``verdict_basis`` block."""
        return {
            "source": self.source,
            "pass_probability": self.pass_probability,
            "above_cut": self.above_cut,
            "attempts": self.attempts,
            "items": self.items,
            "evidence": self.evidence,
        }


def _plural(count: int, word: str) -> str:
    """Return "1 mock" or "3 mocks"."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def classical_verdict(
    correct: int, total: int, mocks: int, *, pass_probability: float, target: float
) -> ReadinessVerdict:
    """Judge pooled first answers (``correct`` of ``total`` over ``mocks`` finished mocks)."""
    above = rate_above_cut(correct, total, target=target)
    return ReadinessVerdict(
        verdict=verdict_of(pass_probability, above),
        source=VerdictBasis.CLASSICAL,
        pass_probability=pass_probability,
        above_cut=above,
        attempts=mocks,
        items=total,
        evidence=(
            f"Rests on your first answers to {_plural(total, 'question')} in "
            f"{_plural(mocks, 'finished mock')} ({correct} correct), scored by percent correct."
        ),
    )


def ability_verdict(pass_probability: float, answered: int, items: int) -> ReadinessVerdict:
    """Judge this attempt's calibrated ability; its pass probability is P(ability > cut)."""
    return ReadinessVerdict(
        verdict=verdict_of(pass_probability, pass_probability),
        source=VerdictBasis.ABILITY,
        pass_probability=pass_probability,
        above_cut=pass_probability,
        attempts=1,
        items=items,
        evidence=(
            f"Rests on this attempt alone: {_plural(items, 'question')} ({answered} answered), "
            "scored on the calibrated ability scale."
        ),
    )
