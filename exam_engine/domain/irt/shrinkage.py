"""Discriminations shrunk toward the bank's own spread (empirical Bayes), for selection."""

from __future__ import annotations

from typing import Any

import numpy as np

from exam_engine.domain.irt.model import Floats

# The spread of true log-discriminations is estimated no lower than this: a bank whose
# estimates vary no more than their errors would otherwise be flattened to one value.
MIN_LOG_A_SD = 0.05


def shrink_discrimination(a: Any, se_a: Any) -> tuple[Floats, Floats]:
    """Return each a and its SE shrunk toward the bank's mean on the log scale.

    The calibration's estimates of a scatter by their own error on top of the items' true
    spread, and the adaptive selector takes the largest, so it picks the items whose a was
    over-estimated (capitalisation on chance, van der Linden and Glas 2000). With the log
    estimates l_i, their SEs s_i = se_a_i / a_i (delta method), the mean m and the true
    variance t^2 = var(l) - mean(s^2) (method of moments, at least ``MIN_LOG_A_SD``^2), each
    is replaced by its posterior mean under N(m, t^2): m + k_i (l_i - m), k_i = t^2 /
    (t^2 + s_i^2), with SE k_i^0.5 s_i times the shrunk a. Items with small SEs keep
    their estimates; a bank of one item, or with no SEs, is returned as it is.
    """
    a_ = np.asarray(a, dtype=np.float64)
    se_ = np.asarray(se_a, dtype=np.float64)
    if a_.shape != se_.shape or a_.ndim != 1:
        raise ValueError("a and se_a must be 1-D arrays of the same length")
    if (a_ <= 0).any() or (se_ < 0).any():
        raise ValueError("a must be positive and se_a non-negative")
    if a_.size < 2 or not (se_ > 0).any():
        return a_.copy(), se_.copy()
    log_a = np.log(a_)
    log_se = se_ / a_
    mean = float(log_a.mean())
    true_var = max(float(log_a.var()) - float(np.mean(log_se**2)), MIN_LOG_A_SD**2)
    keep = true_var / (true_var + log_se**2)
    shrunk = np.exp(mean + keep * (log_a - mean))
    return np.asarray(shrunk), np.asarray(np.sqrt(keep) * log_se * shrunk)
