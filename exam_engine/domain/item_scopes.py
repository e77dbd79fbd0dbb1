"""Item analysis over every scope at once: each template, and all templates together.

The arrays come from the services' readers (``ResponseData``: finished mock attempts and the
items they showed, as integer arrays); everything here is pure numpy over them, with the
formulas of ``item_analysis``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exam_engine.domain.item_analysis import (
    Thresholds,
    first_exposures,
    rank_entries,
    scoped_item_stats,
    score_entries,
    score_stats,
    slot_matrices,
)
from exam_engine.domain.summary_rows import SummaryRows, summary_rows

ALL_TEMPLATES = ""


@dataclass(frozen=True)
class ResponseData:
    """Finished mock attempts (rows in (started_at, id) order) and their entries, as arrays."""

    attempt_ids: np.ndarray
    attempt_user: np.ndarray
    attempt_template: np.ndarray
    template_names: tuple[str, ...]
    entry_attempt: np.ndarray
    entry_position: np.ndarray
    entry_item: np.ndarray
    entry_choice: np.ndarray
    version_ids: np.ndarray
    keys: np.ndarray
    # Per template name: (count, sum of ids) of the finished mock attempts read.
    seen: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Records for the attempts that were read from their rows (stored by the recompute).
    unrecorded: dict[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class ScopeRows:
    """The item rows of one scope: summaries of the item columns with responses."""

    template: str
    version_ids: list[int]
    rows: SummaryRows


@dataclass
class Computed:
    """Item rows per scope and template_statistics rows (without timestamps) to store."""

    scopes: list[ScopeRows] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    responses: int = 0

    @property
    def row_count(self) -> int:
        """How many item_statistics rows the scopes hold."""
        return sum(len(scope.version_ids) for scope in self.scopes)


def compute(data: ResponseData, thresholds: Thresholds) -> Computed:
    """Compute every scope's item rows and every template's test statistics from the arrays."""
    n_attempts = data.attempt_ids.size
    scored = score_entries(
        data.entry_attempt, data.entry_item, data.entry_choice, data.keys, n_attempts
    )
    first = first_exposures(
        data.attempt_user[data.entry_attempt], data.entry_item, data.entry_attempt
    )
    # One sort for every scope: the template scopes are subsets in the same order. Entries
    # without a rest score (one-item forms) and later exposures are left out.
    ranked = rank_entries(
        data.entry_item,
        data.entry_choice,
        np.where(first, scored.rest_rank, -1),
        scored.levels,
        n_items=data.keys.size,
        scope=data.attempt_template[data.entry_attempt],
        n_scopes=max(1, len(data.template_names)),
    )
    out = Computed(responses=int(ranked.packed.size))
    version_ids = data.version_ids.tolist()

    def scope_rows(name: str, stats: Any) -> ScopeRows:
        rows = summary_rows(stats, thresholds)
        return ScopeRows(name, [version_ids[i] for i in rows.index], rows)

    # Test statistics use each user's first finished mock of the template: label those
    # attempts with their template, the others with -1.
    first_of_template = np.full(n_attempts, -1, dtype=np.int64)
    for index in range(len(data.template_names)):
        rows_of_template = np.flatnonzero(data.attempt_template == index)
        _, first_index = np.unique(data.attempt_user[rows_of_template], return_index=True)
        first_of_template[rows_of_template[first_index]] = index
    matrices = slot_matrices(
        data.entry_attempt,
        data.entry_position,
        scored.correct,
        first_of_template,
        len(data.template_names),
    )
    everything, per_template = scoped_item_stats(ranked, data.keys)
    for index, name in enumerate(data.template_names):
        stats = per_template[index]
        rows = scope_rows(name, stats)
        out.scopes.append(rows)
        matrix, excluded = matrices[index]
        values = score_stats(matrix, excluded=excluded).to_values(thresholds)
        values.update(
            responses=int(stats.responses.sum()),
            versions=len(rows.version_ids),
            flagged=rows.rows.review_flagged,
        )
        out.templates.append({"template": name, "attempts": int(matrix.shape[0]), "values": values})
    rows = scope_rows(ALL_TEMPLATES, everything)
    out.scopes.append(rows)
    out.templates.append(
        {
            "template": ALL_TEMPLATES,
            "attempts": int(n_attempts),
            "values": {
                "responses": out.responses,
                "versions": len(rows.version_ids),
                "flagged": rows.rows.review_flagged,
                "users": int(np.unique(data.attempt_user).size),
                "templates": list(data.template_names),
                "min_responses": thresholds.min_responses,
            },
        }
    )
    return out
