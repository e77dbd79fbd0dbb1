"""The item response functions, item information, the quadrature grid and the priors."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

RASCH = "rasch"
TWO_PL = "2pl"
MODELS = (RASCH, TWO_PL)
# Prior mean of b by authored difficulty: an author's "hard" is about one SD above average.
PRIOR_B_MEAN = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
PRIOR_B_SD = 1.0
PRIOR_LOG_A_SD = 0.5
# Grid for integrating over ability: wide enough that no plausible candidate is clipped.
GRID = np.linspace(-6.0, 6.0, 61)


def check_model(model: str) -> None:
    """Reject an unknown model name, naming the known ones."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")


def prior_b_mean(difficulty: str) -> float:
    """Return the prior mean of b for an authored difficulty (unknown: 0)."""
    return PRIOR_B_MEAN.get(difficulty, 0.0)


def logistic(x: Any) -> Floats:
    """Return 1 / (1 + exp(-x)) without overflow warnings."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64))))


def probability(theta: Any, a: Any, b: Any) -> Floats:
    """Return P(correct) = logistic(a (theta - b)), broadcast over the arguments."""
    return logistic(np.asarray(a, dtype=np.float64) * (np.asarray(theta) - np.asarray(b)))


def information(theta: Any, a: Any, b: Any) -> Floats:
    """Return the item information a^2 P (1 - P) at theta."""
    p = probability(theta, a, b)
    return np.asarray(np.asarray(a, dtype=np.float64) ** 2 * p * (1.0 - p))


def normal_log_weights(grid: Floats, mean: float = 0.0, sd: float = 1.0) -> Floats:
    """Return log weights of N(mean, sd^2) on the grid, normalised to sum to one."""
    log_w = -0.5 * ((grid - mean) / sd) ** 2
    return np.asarray(log_w - np.logaddexp.reduce(log_w))
