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


# The codes are stored and used in filters; the labels say what each flag means.
FLAG_LABELS = {
    "too-few-responses": "Too few responses",
    "low-discrimination": "Low discrimination",
    "distractor-beats-key": "Possible miskey: a distractor beats the key in the upper group",
    "non-functioning-distractor": "Non-functioning distractor",
    "too-easy": "Ceiling effect: almost everyone answers correctly",
    "too-hard": "Floor effect: almost nobody answers correctly",
}


FLAG_ORDER = tuple(FLAG_LABELS)


# Each flag's rule in a phrase, for the page that counts them (thresholds are the defaults).
FLAG_RULES = {
    "too-few-responses": "fewer first-attempt responses than the minimum: not judged yet",
    "low-discrimination": (
        "item-rest correlation under 0.15 (facility between 20% and 95%): the item does not "
        "separate stronger from weaker candidates"
    ),
    "distractor-beats-key": (
        "a distractor chosen by more of the upper 27% group than the key, beyond chance "
        "(one-sided exact binomial test, p < 0.05)"
    ),
    "non-functioning-distractor": "a distractor chosen by under 5% of candidates",
    "too-easy": "facility above 95%: nearly everyone is right, so nothing is measured",
    "too-hard": "facility under 20%, below blind guessing: check key and wording",
}


@dataclass(frozen=True)
class Thresholds:
    """Where the flags start; ``min_responses`` is the app's ITEM_STATS_MIN_RESPONSES."""

    min_responses: int = DEFAULT_MIN_RESPONSES
    discrimination: float = 0.15
    too_easy: float = 0.95
    too_hard: float = 0.20
    non_functioning: float = 0.05
    # One-sided exact binomial test that a distractor beats the key in the upper group.
    miskey_alpha: float = 0.05

    def __post_init__(self) -> None:
        """Reject a minimum that is not a positive whole number."""
        if isinstance(self.min_responses, bool) or not isinstance(self.min_responses, int):
            raise ValueError(f"min_responses must be an integer, got {self.min_responses!r}")
        if self.min_responses < 1:
            raise ValueError(f"min_responses must be >= 1, got {self.min_responses}")
        if not 0.0 < self.miskey_alpha < 1.0:
            raise ValueError(f"miskey_alpha must be in (0, 1), got {self.miskey_alpha!r}")


def as_ints(values: Any, name: str) -> Ints:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got {array.dtype}")
    return array.astype(np.int64, copy=False)
