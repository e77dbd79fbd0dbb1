"""Readiness: this engine's estimated pass probability and scaled score (not ISACA's)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from exam_engine.domain.stats import BetaDist

SCALE_MIN = 200
SCALE_PASS = 450
SCALE_MAX = 800
ESTIMATE_LABEL = (
    "Estimate by this practice engine, not an ISACA score: "
    "ISACA's raw-to-scaled mapping is not public."
)


def _check_target(target: float) -> None:
    """Reject a target outside (0, 1)."""
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1), got {target!r}")


def items_needed(target: float, form_size: int) -> int:
    """Return the fewest correct items on the form that reach the target: ceil(target * size)."""
    _check_target(target)
    # The tolerance stops float noise (0.65 * 100 = 65.00000000000001) from adding an item.
    return math.ceil(target * form_size - 1e-9)


def pass_probability(
    correct: int,
    total: int,
    *,
    target: float = 0.65,
    form_size: int = 90,
    prior: tuple[float, float] = (1.0, 1.0),
) -> float:
    """Return P(X >= ceil(target * form_size)) for a new form, as this engine estimates it.

    The candidate's rate is pooled (all items counted alike, not blueprint-weighted: the
    evidence comes from blueprint-exact mocks, so pooling already carries the weights):
        rate | data ~ Beta(a + correct, b + total - correct), (a, b) = prior
        X ~ Beta-binomial(form_size, a + correct, b + total - correct)
    """
    if total < 0 or not 0 <= correct <= total:
        raise ValueError(f"need 0 <= correct <= total, got {correct} of {total}")
    if form_size < 1:
        raise ValueError(f"form_size must be >= 1, got {form_size}")
    posterior = BetaDist(*prior).updated(correct, total - correct)
    return posterior.predictive_at_least(items_needed(target, form_size), form_size)


def scaled_estimate(percent: float, *, target: float = 0.65) -> int:
    """Map percent correct (0-100) to an estimated 200-800 score, 450 at the target.

    With p = percent / 100 clamped to [0, 1]:
        p <= target: 200 + 250 * p / target
        p >  target: 450 + 350 * (p - target) / (1 - target)
    rounded half up to an integer.
    """
    _check_target(target)
    p = min(1.0, max(0.0, percent / 100.0))
    if p <= target:
        value = SCALE_MIN + (SCALE_PASS - SCALE_MIN) * p / target
    else:
        value = SCALE_PASS + (SCALE_MAX - SCALE_PASS) * (p - target) / (1.0 - target)
    return min(SCALE_MAX, max(SCALE_MIN, math.floor(value + 0.5)))


@dataclass(frozen=True)
class Readiness:
    """Estimated pass probability and scaled score, with the label that says they are estimates."""

    pass_probability: float
    scaled_estimate: int
    label: str = ESTIMATE_LABEL

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "pass_probability": self.pass_probability,
            "scaled_estimate": self.scaled_estimate,
            "label": self.label,
        }


def estimate_readiness(
    correct: int,
    total: int,
    *,
    target: float = 0.65,
    form_size: int = 90,
    prior: tuple[float, float] = (1.0, 1.0),
) -> Readiness | None:
    """Return readiness from pooled first-exposure counts, or None when there are no items.

    The scaled estimate maps the observed percent, 100 * correct / total.
    """
    if total == 0:
        # No evidence: the prior alone would still give a number, and a number looks like news.
        return None
    probability = pass_probability(correct, total, target=target, form_size=form_size, prior=prior)
    return Readiness(
        pass_probability=probability,
        scaled_estimate=scaled_estimate(100.0 * correct / total, target=target),
    )
