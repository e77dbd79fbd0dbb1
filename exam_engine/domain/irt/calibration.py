"""Marginal maximum a posteriori calibration of Rasch and 2PL items by EM (see the package)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from exam_engine.domain.irt.model import (
    PRIOR_B_SD,
    PRIOR_LOG_A_SD,
    RASCH,
    TWO_PL,
    Floats,
    Ints,
    check_model,
    logistic,
    normal_log_weights,
)

# A calibration grid coarser than the ability grid: the EM cost is linear in its size, and
# 25 nodes over [-5, 5] change estimates by far less than their standard errors.
CALIBRATION_GRID = np.linspace(-5.0, 5.0, 25)
A_BOUNDS = (0.05, 5.0)
B_BOUNDS = (-8.0, 8.0)
# Entries per block when gathering posteriors for standard errors and fit (memory bound).
_BLOCK = 100_000


@dataclass(frozen=True)
class Calibration:
    """Item parameters with standard errors, response counts and fit, indexed by item column."""

    model: str
    a: Floats
    b: Floats
    se_a: Floats
    se_b: Floats
    responses: Ints
    infit: Floats
    outfit: Floats
    persons: int
    iterations: int
    converged: bool
    log_likelihood: float


def _as_arrays(person: Any, item: Any, correct: Any, n_items: int) -> tuple[Any, Any, Any]:
    """Validate the entry arrays and return them as int64, int64 and bool arrays."""
    person_ = np.asarray(person, dtype=np.int64)
    item_ = np.asarray(item, dtype=np.int64)
    correct_ = np.asarray(correct, dtype=np.bool_)
    if not person_.shape == item_.shape == correct_.shape or person_.ndim != 1:
        raise ValueError("person, item and correct must be 1-D arrays of the same length")
    if person_.size and (person_.min() < 0 or item_.min() < 0 or item_.max() >= n_items):
        raise ValueError(f"person must be >= 0 and item in 0..{n_items - 1}")
    return person_, item_, correct_


@dataclass(frozen=True)
class Priors:
    """Prior means of the location a b, its prior SD and (2PL) the prior SD of log a."""

    b_mean: Floats
    b_sd: float = PRIOR_B_SD
    log_a_sd: float = PRIOR_LOG_A_SD


def _m_step(
    model: str, r: Floats, n: Floats, a: Floats, b: Floats, priors: Priors, steps: int = 4
) -> tuple[Floats, Floats]:
    """Fisher-scoring steps on each item's expected log-posterior given the grid counts."""
    z = CALIBRATION_GRID
    s2 = priors.b_sd**2
    for _ in range(steps):
        u = z[None, :] - b[:, None]
        p = logistic(a[:, None] * u)
        resid = r - n * p
        w = n * p * (1.0 - p)
        # The authored-difficulty prior is on a b (minus the intercept), not on b alone: see
        # the package docstring for why a prior on b would bias the discriminations upward.
        excess = a * b - priors.b_mean
        grad_b = -a * resid.sum(axis=1) - a * excess / s2
        info_bb = a * a * (w.sum(axis=1) + 1.0 / s2)
        if model == RASCH:
            b = np.clip(b + grad_b / info_bb, *B_BOUNDS)
            continue
        log_a = np.log(a)
        grad_a = (resid * u).sum(axis=1) - log_a / (a * priors.log_a_sd**2) - b * excess / s2
        info_aa = (w * u * u).sum(axis=1) + 1.0 / (a * a * priors.log_a_sd**2) + b * b / s2
        info_ab = -a * (w * u).sum(axis=1) + a * b / s2
        det = info_aa * info_bb - info_ab**2
        det = np.where(det > 1e-12, det, 1e-12)
        step_a = (info_bb * grad_a - info_ab * grad_b) / det
        step_b = (info_aa * grad_b - info_ab * grad_a) / det
        a = np.clip(a + np.clip(step_a, -0.5, 0.5), *A_BOUNDS)
        b = np.clip(b + np.clip(step_b, -1.0, 1.0), *B_BOUNDS)
    return a, b


def _posteriors(both: Any, a: Floats, b: Floats, log_prior: Floats) -> tuple[Floats, float]:
    """Each person's posterior over the grid (persons x nodes) and the marginal log-likelihood.

    ``both`` is the right answers beside the wrong ones (persons x 2 items), so one sparse
    product gives every person's log-likelihood at every node.
    """
    p = np.clip(logistic(a[:, None] * (CALIBRATION_GRID[None, :] - b[:, None])), 1e-12, 1 - 1e-12)
    # Single precision halves the memory traffic of the product, the EM's largest cost; a
    # person's log-likelihood is a sum of at most a few hundred terms, so little is lost.
    logs = np.vstack([np.log(p), np.log1p(-p)]).astype(np.float32)
    log_lik = np.asarray(both @ logs, dtype=np.float64) + log_prior[None, :]
    top = log_lik.max(axis=1, keepdims=True)
    weights = np.exp(log_lik - top)
    total = weights.sum(axis=1, keepdims=True)
    return weights / total, float((np.log(total) + top).sum())


def calibrate(
    person: Any,
    item: Any,
    correct: Any,
    prior_b: Any,
    *,
    model: str = RASCH,
    prior_b_sd: float = PRIOR_B_SD,
    prior_log_a_sd: float = PRIOR_LOG_A_SD,
    max_iterations: int = 500,
    tolerance: float = 1e-3,
) -> Calibration:
    """Calibrate every item column from first-exposure responses (see the package docstring).

    :param person: person row of each response (any non-negative integers)
    :param item: item column of each response, 0..len(prior_b) - 1
    :param correct: whether each response was correct (unanswered counts as wrong)
    :param prior_b: prior mean of each item's b (from its authored difficulty)
    """
    check_model(model)
    if prior_b_sd <= 0 or prior_log_a_sd <= 0:
        raise ValueError("prior SDs must be positive")
    prior_b_ = np.asarray(prior_b, dtype=np.float64)
    priors = Priors(prior_b_, prior_b_sd, prior_log_a_sd)
    n_items = prior_b_.size
    person_, item_, correct_ = _as_arrays(person, item, correct, n_items)
    _, person_row = np.unique(person_, return_inverse=True)
    n_persons = int(person_row.max()) + 1 if person_row.size else 0
    shape = (n_persons, n_items)
    ones = np.ones(person_row.size)
    # Imported where used: scipy adds ~65 MB to every process (CLI, web).
    from scipy import sparse  # type: ignore[import-untyped]

    right = sparse.csr_matrix((ones * correct_, (person_row, item_)), shape=shape)
    seen = sparse.csr_matrix((ones, (person_row, item_)), shape=shape)
    both = sparse.hstack([right, seen - right], format="csr").astype(np.float32)
    # Transposed once: products with a CSR matrix are faster than with a transposed view.
    right_t = right.T.tocsr().astype(np.float32)
    seen_t = seen.T.tocsr().astype(np.float32)
    responses = np.bincount(item_, minlength=n_items).astype(np.int64)
    # Start from the logit of each item's proportion correct, shrunk toward its prior.
    hits = np.bincount(item_, weights=correct_, minlength=n_items)
    b = np.clip(prior_b_ - np.log((hits + 1.0) / (responses - hits + 1.0)), *B_BOUNDS) / 2.0
    a = np.ones(n_items)
    log_prior = normal_log_weights(CALIBRATION_GRID)
    converged = False
    iterations = 0
    log_lik = 0.0
    post = np.zeros((n_persons, CALIBRATION_GRID.size))
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported after the loop
        post, log_lik = _posteriors(both, a, b, log_prior)
        post32 = post.astype(np.float32)
        r = np.asarray(right_t @ post32, dtype=np.float64)
        n = np.asarray(seen_t @ post32, dtype=np.float64)
        new_a, new_b = _m_step(model, r, n, a, b, priors)
        change = max(np.abs(new_a - a).max(initial=0.0), np.abs(new_b - b).max(initial=0.0))
        a, b = new_a, new_b
        if change < tolerance:
            converged = True
            break
    post, log_lik = _posteriors(both, a, b, log_prior)
    se_a, se_b = _standard_errors(model, person_row, item_, correct_, post, a, b, priors)
    infit, outfit = _fit(person_row, item_, correct_, post, a, b, n_items)
    return Calibration(
        model=model,
        a=a,
        b=b,
        se_a=se_a,
        se_b=se_b,
        responses=responses,
        infit=infit,
        outfit=outfit,
        persons=n_persons,
        iterations=iterations,
        converged=converged,
        log_likelihood=log_lik,
    )


def _standard_errors(
    model: str,
    person: Any,
    item: Any,
    correct: Any,
    post: Floats,
    a: Floats,
    b: Floats,
    priors: Priors,
) -> tuple[Floats, Floats]:
    """SEs from the per-item cross-product of marginal scores plus the prior's precision."""
    n_items = a.size
    z = CALIBRATION_GRID
    i_bb = np.zeros(n_items)
    i_aa = np.zeros(n_items)
    i_ab = np.zeros(n_items)
    for start in range(0, person.size, _BLOCK):
        rows = person[start : start + _BLOCK]
        cols = item[start : start + _BLOCK]
        x = correct[start : start + _BLOCK].astype(np.float64)
        g = post[rows]
        p = logistic(a[cols, None] * (z[None, :] - b[cols, None]))
        expected_p = (g * p).sum(axis=1)
        score_b = -a[cols] * (x - expected_p)
        i_bb += np.bincount(cols, weights=score_b**2, minlength=n_items)
        if model == TWO_PL:
            expected_z = g @ z
            expected_pu = (g * p * z[None, :]).sum(axis=1) - b[cols] * expected_p
            score_a = x * (expected_z - b[cols]) - expected_pu
            i_aa += np.bincount(cols, weights=score_a**2, minlength=n_items)
            i_ab += np.bincount(cols, weights=score_a * score_b, minlength=n_items)
    # The priors' precision: N(mean, sd^2) on a b contributes its Fisher information
    # (a^2, b^2 and a b over sd^2), log a ~ N(0, sd_a^2) its own on a.
    s2 = priors.b_sd**2
    i_bb += a * a / s2
    if model == RASCH:
        return np.zeros(n_items), np.sqrt(1.0 / i_bb)
    i_aa += 1.0 / (a * a * priors.log_a_sd**2) + b * b / s2
    i_ab += a * b / s2
    det = i_aa * i_bb - i_ab**2
    det = np.where(det > 1e-12, det, 1e-12)
    return np.sqrt(np.maximum(i_bb / det, 0.0)), np.sqrt(np.maximum(i_aa / det, 0.0))


def _fit(
    person: Any, item: Any, correct: Any, post: Floats, a: Floats, b: Floats, n_items: int
) -> tuple[Floats, Floats]:
    """Infit and outfit mean squares per item from each person's EAP ability (NaN: no data)."""
    theta = post @ CALIBRATION_GRID
    p = np.clip(logistic(a[item] * (theta[person] - b[item])), 1e-9, 1 - 1e-9)
    variance = p * (1.0 - p)
    squared = (correct.astype(np.float64) - p) ** 2
    counts = np.bincount(item, minlength=n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        outfit = np.bincount(item, weights=squared / variance, minlength=n_items) / counts
        infit = np.bincount(item, weights=squared, minlength=n_items) / np.bincount(
            item, weights=variance, minlength=n_items
        )
    return np.asarray(infit, dtype=np.float64), np.asarray(outfit, dtype=np.float64)
