"""Ability by EAP with its SE, the cut score from a blueprint-weighted form, pass probability."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from exam_engine.domain.irt.model import (
    GRID,
    Floats,
    grid_probabilities,
    normal_log_weights,
    probability,
)


@dataclass(frozen=True)
class AbilityEstimate:
    """An EAP ability, its posterior SD, and the posterior over the grid it came from."""

    theta: float
    se: float
    items: int
    posterior: Floats

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """Return theta -/+ z SE."""
        return (self.theta - z * self.se, self.theta + z * self.se)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {"theta": round(self.theta, 4), "se": round(self.se, 4), "items": self.items}


def eap(
    a: Any,
    b: Any,
    correct: Any,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    grid: Floats = GRID,
    se_a: Any = None,
    se_b: Any = None,
) -> AbilityEstimate:
    """Return the EAP ability and posterior SD from responses to items with parameters (a, b).

    The posterior over the grid is the N(prior_mean, prior_sd^2) prior times the likelihood;
    with no responses it is the prior itself. Given the parameters' standard errors, the
    likelihood uses each item's expected response function (``model.expected_probability``),
    so the SE also carries the uncertainty of the calibration rather than taking its
    estimates at face value.
    """
    a_ = np.atleast_1d(np.asarray(a, dtype=np.float64))
    b_ = np.atleast_1d(np.asarray(b, dtype=np.float64))
    x = np.atleast_1d(np.asarray(correct, dtype=np.bool_))
    if not a_.shape == b_.shape == x.shape:
        raise ValueError("a, b and correct must have the same length")
    if prior_sd <= 0:
        raise ValueError(f"prior_sd must be positive, got {prior_sd!r}")
    errors = [
        np.atleast_1d(np.asarray(0.0 if e is None else e, dtype=np.float64)) for e in (se_a, se_b)
    ]
    for name, error in zip(("se_a", "se_b"), errors, strict=True):
        if error.size not in (1, a_.size) or (error < 0).any():
            raise ValueError(f"{name} must be non-negative, one value or one per item")
    p = grid_probabilities(a_, b_, grid, se_a, se_b)
    log_post = normal_log_weights(grid, prior_mean, prior_sd) + np.where(
        x[:, None], np.log(p), np.log1p(-p)
    ).sum(axis=0)
    weights = np.exp(log_post - log_post.max())
    posterior = weights / weights.sum()
    theta = float(posterior @ grid)
    se = float(np.sqrt(max(posterior @ (grid - theta) ** 2, 0.0)))
    return AbilityEstimate(theta=theta, se=se, items=int(x.size), posterior=posterior)


def expected_score(
    theta: float, domains: Mapping[str, tuple[Any, Any]], weights: Mapping[str, float]
) -> float:
    """Return the expected proportion correct on a form weighted by domain at ``theta``.

    ``domains`` maps a domain to its items' (a, b) arrays; each domain counts by its weight,
    its items alike (a blueprint form draws them at random).
    """
    total = float(sum(weights[d] for d in domains))
    if not domains or total <= 0:
        raise ValueError("need at least one domain with items and a positive weight")
    score = 0.0
    for domain, (a, b) in domains.items():
        a_ = np.asarray(a, dtype=np.float64)
        if a_.size == 0:
            raise ValueError(f"domain {domain}: no items")
        score += weights[domain] / total * float(probability(theta, a_, b).mean())
    return score


def cut_score(
    domains: Mapping[str, tuple[Any, Any]], weights: Mapping[str, float], target: float = 0.65
) -> float:
    """Return the ability whose expected blueprint-weighted score equals ``target``."""
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1), got {target!r}")
    low, high = float(GRID[0]), float(GRID[-1])

    def gap(theta: float) -> float:
        return expected_score(theta, domains, weights) - target

    if gap(low) > 0 or gap(high) < 0:
        raise ValueError(f"no ability in [{low}, {high}] gives an expected score of {target}")
    # Imported where used: scipy adds ~65 MB to every process (CLI, web).
    from scipy.optimize import brentq  # type: ignore[import-untyped]

    return float(brentq(gap, low, high, xtol=1e-8))


def pass_probability(estimate: AbilityEstimate, cut: float, grid: Floats = GRID) -> float:
    """Return P(theta > cut) from the posterior, each node's mass spread over its grid cell."""
    step = float(grid[1] - grid[0])
    above = np.clip((grid + step / 2.0 - cut) / step, 0.0, 1.0)
    return min(1.0, max(0.0, float(estimate.posterior @ above)))
