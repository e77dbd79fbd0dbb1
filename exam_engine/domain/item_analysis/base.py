"""Types, constants and thresholds shared by the item-analysis modules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


Ints = NDArray[np.int64]


Bools = NDArray[np.bool_]


N_OPTIONS = 4


OPTION_LABELS = ("A", "B", "C", "D")


UNANSWERED = -1


# Column of the per-option arrays that counts unanswered entries.
BLANK = N_OPTIONS


GROUP_SHARE = 0.27


DEFAULT_MIN_RESPONSES = 30


DISTRIBUTION_BINS = 10


FLAG_LABELS = {
    "too-few-responses": "Too few responses",
    "low-discrimination": "Review: possible miskey or ambiguity",
    "distractor-beats-key": "Distractor beats the key in the upper group",
    "non-functioning-distractor": "Non-functioning distractor",
    "too-easy": "Too easy",
    "too-hard": "Too hard",
}


FLAG_ORDER = tuple(FLAG_LABELS)


@dataclass(frozen=True)
class Thresholds:
    """Where the flags start; ``min_responses`` is the app's ITEM_STATS_MIN_RESPONSES."""

    min_responses: int = DEFAULT_MIN_RESPONSES
    discrimination: float = 0.15
    too_easy: float = 0.95
    too_hard: float = 0.20
    non_functioning: float = 0.05

    def __post_init__(self) -> None:
        """Reject a minimum that is not a positive whole number."""
        if isinstance(self.min_responses, bool) or not isinstance(self.min_responses, int):
            raise ValueError(f"min_responses must be an integer, got {self.min_responses!r}")
        if self.min_responses < 1:
            raise ValueError(f"min_responses must be >= 1, got {self.min_responses}")


def as_ints(values: Any, name: str) -> Ints:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got {array.dtype}")
    return array.astype(np.int64, copy=False)
