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
# Prior mean of b (for 2PL, of a b) by authored difficulty: an author's "hard" is about one SD
# above average.
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


# Probit approximation of a logistic-normal mean: E[logistic(X)] ~ logistic(m / sqrt(1 + c v))
# for X ~ N(m, v), with c = pi / 8 (error under 0.02 everywhere).
_LOGISTIC_NORMAL = np.pi / 8.0


def _expected_logit(theta: Any, a: Any, b: Any, se_a: Any, se_b: Any) -> tuple[Floats, Floats]:
    """Return the attenuated logit and its derivative in theta under parameter uncertainty."""
    a_ = np.asarray(a, dtype=np.float64)
    u = np.asarray(theta, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    var_a = np.asarray(se_a, dtype=np.float64) ** 2
    var_b = np.asarray(se_b, dtype=np.float64) ** 2
    # Var[a (theta - b)] for independent a and b, to first order plus the product term.
    spread = 1.0 + _LOGISTIC_NORMAL * (u * u * var_a + a_ * a_ * var_b + var_a * var_b)
    slope = a_ / np.sqrt(spread)
    derivative = slope * (1.0 - _LOGISTIC_NORMAL * u * u * var_a / spread)
    return np.asarray(slope * u), np.asarray(derivative)


def expected_probability(theta: Any, a: Any, b: Any, se_a: Any = 0.0, se_b: Any = 0.0) -> Floats:
    """Return P(correct) averaged over a ~ N(a, se_a^2) and b ~ N(b, se_b^2).

    The expected response function (Lewis 2001; Mislevy, Wingersky and Sheehan 1994): an
    item whose parameters are uncertain predicts less sharply, so it tells less about theta.
    With both SEs zero it is ``probability``.
    """
    return logistic(_expected_logit(theta, a, b, se_a, se_b)[0])


def expected_information(theta: Any, a: Any, b: Any, se_a: Any = 0.0, se_b: Any = 0.0) -> Floats:
    """Return the information of the expected response function at theta.

    The slope of the expected curve squared over its Bernoulli variance; with both SEs zero
    it is ``information``. Selecting by it does not take an item whose discrimination was
    estimated high from few answers at face value.
    """
    logit, derivative = _expected_logit(theta, a, b, se_a, se_b)
    p = logistic(logit)
    return np.asarray(derivative * derivative * p * (1.0 - p))


def grid_probabilities(
    a: Floats, b: Floats, grid: Floats, se_a: Any = None, se_b: Any = None
) -> Floats:
    """P(correct) of each item (rows) at each grid point (columns), kept off 0 and 1 so
    its logarithms are finite; given the parameters' SEs (one value or one per item), each
    item's expected response function."""
    if se_a is None and se_b is None:
        p = probability(grid[None, :], a[:, None], b[:, None])
    else:
        e_a, e_b = (
            np.broadcast_to(np.asarray(0.0 if e is None else e, dtype=np.float64), a.shape)[:, None]
            for e in (se_a, se_b)
        )
        p = expected_probability(grid[None, :], a[:, None], b[:, None], e_a, e_b)
    return np.clip(p, 1e-12, 1 - 1e-12)
