"""Grade a finished attempt: raw and percent correct overall, per domain and per sub-domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.stats import wilson_interval

CONFIDENCE = 0.95


@dataclass(frozen=True)
class GradedItem:
    """One item of an attempt, already marked against the key of the version it showed."""

    position: int
    key: str
    domain: str
    subdomain: str
    correct: bool
    answered: bool
    flagged: bool = False

    @property
    def counts_correct(self) -> bool:
        """Return True only for an answered, correct item: unanswered counts as wrong."""
        return self.answered and self.correct


@dataclass(frozen=True)
class Score:
    """Correct out of total, with percent and its 95% Wilson interval, both on a 0-100 scale."""

    correct: int
    total: int
    percent: float
    ci: tuple[float, float]

    @classmethod
    def of(cls, correct: int, total: int, confidence: float = CONFIDENCE) -> Score:
        """Return the score for ``correct`` of ``total``; percent = 100 * correct / total.

        ci = 100 * wilson_interval(correct, total, confidence); total = 0 gives percent 0.0
        and ci (0.0, 100.0).
        """
        lo, hi = wilson_interval(correct, total, confidence)
        percent = 100.0 * correct / total if total else 0.0
        return cls(correct, total, percent, (100.0 * lo, 100.0 * hi))

    @property
    def rate(self) -> float:
        """Return correct / total as a proportion (0.0 when there are no items)."""
        return self.correct / self.total if self.total else 0.0

    def to_dict(self, *, with_ci: bool = True) -> dict[str, Any]:
        """Return JSON-ready values; percent and ci rounded to 2 decimals."""
        data: dict[str, Any] = {
            "correct": self.correct,
            "total": self.total,
            "percent": round(self.percent, 2),
        }
        if with_ci:
            data["ci"] = [round(self.ci[0], 2), round(self.ci[1], 2)]
        return data


@dataclass(frozen=True)
class AttemptResult:
    """An attempt's scorecard; dicts are ordered by blueprint."""

    score: Score
    by_domain: dict[str, Score]
    by_subdomain: dict[str, Score]
    answered: int
    unanswered_positions: tuple[int, ...]
    flagged_positions: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values (lists for tuples, rounded floats)."""
        return {
            "score": self.score.to_dict(),
            "by_domain": {code: s.to_dict() for code, s in self.by_domain.items()},
            "by_subdomain": {code: s.to_dict() for code, s in self.by_subdomain.items()},
            "answered": self.answered,
            "unanswered_positions": list(self.unanswered_positions),
            "flagged_positions": list(self.flagged_positions),
        }


def _in_blueprint_order(codes: Iterable[str], order: Sequence[str]) -> list[str]:
    """Return the codes in blueprint order, then any the blueprint lacks, sorted."""
    present = set(codes)
    known = [code for code in order if code in present]
    # An item tagged with a code the blueprint no longer has is still graded, never dropped:
    # a finished attempt must stay gradeable whatever happens to the blueprint data.
    return known + sorted(present - set(order))


def grade(items: Sequence[GradedItem], blueprint: Blueprint) -> AttemptResult:
    """Grade an attempt's items: every domain and sub-domain it contains, in blueprint order."""
    positions = [item.position for item in items]
    if len(set(positions)) != len(positions):
        raise ValueError("an attempt cannot have two items at the same position")

    tallies: dict[tuple[str, str], list[int]] = {}
    for item in items:
        for level, code in (("domain", item.domain), ("subdomain", item.subdomain)):
            tally = tallies.setdefault((level, code), [0, 0])
            tally[0] += item.counts_correct
            tally[1] += 1

    def scores(level: str, order: Sequence[str]) -> dict[str, Score]:
        codes = [code for lvl, code in tallies if lvl == level]
        return {
            code: Score.of(*tallies[(level, code)]) for code in _in_blueprint_order(codes, order)
        }

    ordered = sorted(items, key=lambda item: item.position)
    return AttemptResult(
        score=Score.of(sum(item.counts_correct for item in items), len(items)),
        by_domain=scores("domain", [d.code for d in blueprint.domains]),
        by_subdomain=scores("subdomain", blueprint.subdomain_codes),
        answered=sum(item.answered for item in items),
        unanswered_positions=tuple(item.position for item in ordered if not item.answered),
        flagged_positions=tuple(item.position for item in ordered if item.flagged),
    )
