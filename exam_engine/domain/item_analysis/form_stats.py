"""Test statistics of a template's forms: slot matrices, KR-20 alpha, SEM, distribution."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from exam_engine.domain.item_analysis.base import (
    DISTRIBUTION_BINS,
    Floats,
    Thresholds,
    as_ints,
)


@dataclass(frozen=True)
class ScoreStats:
    """Test-level statistics of one template's counted attempts (NaN where undefined)."""

    attempts: int
    items: int
    excluded: int
    mean: float
    sd: float
    alpha: float
    sem: float
    median_percent: float
    min_percent: float
    max_percent: float
    distribution: tuple[int, ...]

    @property
    def mean_percent(self) -> float:
        """Mean score as a percent of the form."""
        return 100.0 * self.mean / self.items if self.items else math.nan

    @property
    def sd_percent(self) -> float:
        """SD as a percent of the form."""
        return 100.0 * self.sd / self.items if self.items else math.nan

    @property
    def sem_percent(self) -> float:
        """SEM as a percent of the form."""
        return 100.0 * self.sem / self.items if self.items else math.nan

    def to_values(self, thresholds: Thresholds, digits: int = 4) -> dict[str, Any]:
        """JSON-ready values; alpha and SEM withheld when attempts are below the minimum."""

        def clean(value: float) -> float | None:
            return None if math.isnan(value) else round(value, digits)

        suppressed = self.attempts < thresholds.min_responses
        return {
            "items": self.items,
            "excluded_attempts": self.excluded,
            "mean": clean(self.mean),
            "mean_percent": clean(self.mean_percent),
            "sd": clean(self.sd),
            "sd_percent": clean(self.sd_percent),
            "median_percent": clean(self.median_percent),
            "min_percent": clean(self.min_percent),
            "max_percent": clean(self.max_percent),
            "alpha": None if suppressed else clean(self.alpha),
            "sem": None if suppressed else clean(self.sem),
            "sem_percent": None if suppressed else clean(self.sem_percent),
            "suppressed": suppressed,
            "min_responses": thresholds.min_responses,
            "distribution": list(self.distribution),
        }


def slot_matrix(attempt: Any, position: Any, correct: Any) -> tuple[Floats, int]:
    """Arrange entries into an attempts x positions 0/1 matrix; return it and how many left out.

    Rows are the distinct attempts in ascending order; an attempt's positions are distinct
    (the database's unique constraint). Only attempts whose form has the most common length k
    with positions 1..k are kept: a template edited between attempts would otherwise mix
    forms of different lengths.
    """
    attempt_ = as_ints(attempt, "attempt")
    position_ = as_ints(position, "position")
    correct_ = np.asarray(correct, dtype=np.bool_)
    if not attempt_.size == position_.size == correct_.size:
        raise ValueError("attempt, position and correct must have the same length")
    if not attempt_.size:
        return np.zeros((0, 0)), 0
    if attempt_.min() < 0:
        raise ValueError("attempt rows must be >= 0")
    span = int(attempt_.max()) + 1
    if span <= 4 * attempt_.size:
        # Dense row numbers (the usual case): a lookup table instead of np.unique's sort.
        present = np.bincount(attempt_, minlength=span) > 0
        rows = np.flatnonzero(present)
        row_of = (np.cumsum(present) - 1)[attempt_]
    else:
        rows, row_of = np.unique(attempt_, return_inverse=True)
    size = np.bincount(row_of, minlength=rows.size)
    k = int(np.bincount(size).argmax())
    in_range = np.bincount(row_of, weights=(position_ >= 1) & (position_ <= k), minlength=rows.size)
    keep_row = (size == k) & (in_range == k)
    new_row = np.cumsum(keep_row) - 1
    keep = keep_row[row_of]
    matrix = np.zeros((int(keep_row.sum()), k))
    matrix[new_row[row_of[keep]], position_[keep] - 1] = correct_[keep]
    return matrix, int(rows.size - keep_row.sum())


def slot_matrices(
    attempt: Any, position: Any, correct: Any, group: Any, n_groups: int
) -> list[tuple[Floats, int]]:
    """``slot_matrix`` of the entries of each group 0..n_groups-1 of attempts.

    :param attempt: attempt row of each entry, indexing ``group``
    :param group: group of each attempt row, or -1 for none

    When the entries are attempt after attempt, each the same k positions 1..k in order (how
    a recompute reads them), the matrices are rows of one reshaped array; otherwise each
    group's entries are picked and arranged by ``slot_matrix``.
    """
    attempt_ = as_ints(attempt, "attempt")
    position_ = as_ints(position, "position")
    correct_ = np.asarray(correct, dtype=np.bool_)
    group_ = as_ints(group, "group")
    if not attempt_.size == position_.size == correct_.size:
        raise ValueError("attempt, position and correct must have the same length")
    if attempt_.size and (attempt_.min() < 0 or attempt_.max() >= group_.size):
        raise ValueError(f"attempt rows must be in 0..{group_.size - 1}")
    k = int(np.argmax(attempt_ != attempt_[0])) if attempt_.size else 0
    if attempt_.size and k == 0:
        k = attempt_.size  # one attempt only
    if k and attempt_.size % k == 0:
        rows = attempt_.reshape(-1, k)
        first = rows[:, 0]
        uniform = (
            bool(np.all(rows == first[:, None]))
            and bool(np.all(first[1:] > first[:-1]))
            and bool(np.all(position_.reshape(-1, k) == np.arange(1, k + 1)))
        )
        if uniform:
            marks = correct_.reshape(-1, k)
            label = group_[first]
            picked = [marks[label == g].astype(np.float64) for g in range(n_groups)]
            # As slot_matrix has it: no attempts, no slots.
            return [(m if m.shape[0] else np.zeros((0, 0)), 0) for m in picked]
    label = group_[attempt_]
    out = []
    for g in range(n_groups):
        chosen = label == g
        out.append(slot_matrix(attempt_[chosen], position_[chosen], correct_[chosen]))
    return out


def score_stats(matrix: Any, *, excluded: int = 0) -> ScoreStats:
    """KR-20, SEM, mean, SD and score distribution of an attempts x slots 0/1 matrix."""
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("matrix must be two-dimensional (attempts x slots)")
    a, k = x.shape
    if a == 0 or k == 0:
        nan = math.nan
        return ScoreStats(0, k, excluded, nan, nan, nan, nan, nan, nan, nan, (0,) * 10)
    totals = x.sum(axis=1)
    mean = float(totals.mean())
    sd = float(totals.std(ddof=1)) if a > 1 else math.nan
    var_total = float(totals.var())
    p = x.mean(axis=0)
    alpha = math.nan
    if k > 1 and var_total > 0:
        alpha = k / (k - 1) * (1.0 - float((p * (1.0 - p)).sum()) / var_total)
    sem = sd * math.sqrt(1.0 - alpha) if not math.isnan(alpha) and alpha <= 1.0 else math.nan
    percents = 100.0 * totals / k
    # Bin b holds percent scores in [10b, 10b + 10), in exact integer arithmetic; a perfect
    # score joins the top bin.
    correct = np.rint(totals).astype(np.int64)
    bins = np.minimum(correct * DISTRIBUTION_BINS // k, DISTRIBUTION_BINS - 1)
    distribution = tuple(np.bincount(bins, minlength=DISTRIBUTION_BINS).tolist())
    return ScoreStats(
        attempts=a,
        items=k,
        excluded=excluded,
        mean=mean,
        sd=sd,
        alpha=alpha,
        sem=sem,
        median_percent=float(np.median(percents)),
        min_percent=float(percents.min()),
        max_percent=float(percents.max()),
        distribution=distribution,
    )
