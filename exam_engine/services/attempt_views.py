"""What a candidate may see of an attempt.

This module is the single gate between stored attempts and the candidate: while an exam is
in progress it emits stems, option texts under per-attempt ids (A-D in the order shown),
and the candidate's own responses; never the key, a rationale, or the stored option order.
Practice mode adds feedback for an item only once the candidate has checked its answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exam_engine.domain.moments import iso_utc
from exam_engine.domain.vocabulary import AttemptStatus, Mode
from exam_engine.models import Attempt, AttemptItem
from exam_engine.services.attempts import (
    OPTION_IDS,
    ResponseRow,
    remaining_seconds,
    stored_to_choice,
    struck_ids,
)


@dataclass(frozen=True)
class OptionView:
    """An option as shown: its per-attempt id and text."""

    id: str
    text: str


@dataclass(frozen=True)
class ItemView:
    """One position as the candidate sees it."""

    position: int
    stem: str
    options: tuple[OptionView, ...]
    choice: str | None
    flagged: bool
    feedback: dict[str, Any] | None
    # Options the candidate struck out (a note to self: never an answer, never graded).
    struck: tuple[str, ...] = ()


def shown_options(item: AttemptItem) -> tuple[OptionView, ...]:
    """The version's options in this attempt's order, under ids A-D."""
    return _in_order(item.version.options, item.option_order)


def _in_order(texts: Sequence[Any], option_order: Sequence[int]) -> tuple[OptionView, ...]:
    return tuple(
        OptionView(OPTION_IDS[shown], str(texts[stored]))
        for shown, stored in enumerate(option_order)
    )


def unanswered_views(rows: Iterable[ResponseRow]) -> list[ItemView]:
    """Views of a new attempt's positions: nothing is answered yet, so nothing is revealed."""
    return [
        ItemView(
            position=row.position,
            stem=row.stem,
            options=_in_order(row.options, row.option_order),
            choice=None,
            flagged=False,
            feedback=None,
        )
        for row in rows
    ]


def own_response_views(rows: Iterable[ResponseRow]) -> list[ItemView]:
    """Views of positions with the candidate's own saves, for an attempt revealing nothing.

    The caller makes sure nothing may be revealed (an attempt in progress, not in practice
    mode): these views never carry feedback.
    """
    return [
        ItemView(
            position=row.position,
            stem=row.stem,
            options=_in_order(row.options, row.option_order),
            choice=None
            if row.choice is None
            else OPTION_IDS[list(row.option_order).index(row.choice)],
            flagged=row.flagged,
            feedback=None,
            struck=struck_ids(row.option_order, row.struck),
        )
        for row in rows
    ]


def reveals_nothing(attempt: Attempt) -> bool:
    """True when no position of the attempt may show feedback (see :func:`item_view`)."""
    return attempt.status == AttemptStatus.IN_PROGRESS and attempt.mode != Mode.PRACTICE


def feedback_for(item: AttemptItem) -> dict[str, Any]:
    """Key and rationales of one item, in this attempt's option ids (only after checking)."""
    version = item.version
    return {
        "correct": item.choice == version.answer_index,
        "key": stored_to_choice(item, version.answer_index),
        "rationales": {
            OPTION_IDS[shown]: str(version.rationales[stored])
            for shown, stored in enumerate(item.option_order)
        },
        "references": list(version.references),
    }


def item_view(attempt: Attempt, item: AttemptItem) -> ItemView:
    """Build the view of one position, with feedback only where the rules allow it."""
    reveal = attempt.status != AttemptStatus.IN_PROGRESS or (
        attempt.mode == Mode.PRACTICE and item.checked_at is not None
    )
    return ItemView(
        position=item.position,
        stem=item.version.stem,
        options=shown_options(item),
        choice=stored_to_choice(item, item.choice),
        flagged=item.flagged,
        feedback=feedback_for(item) if reveal else None,
        struck=struck_ids(item.option_order, item.struck),
    )


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z."""
    return None if moment is None else iso_utc(moment)


def attempt_json(
    attempt: Attempt, now: datetime, *, seq: int, views: Sequence[ItemView] | None = None
) -> dict[str, Any]:
    """The API representation of an attempt for its candidate (``views``: built already)."""
    if views is None:
        views = [item_view(attempt, item) for item in attempt.items]
    data: dict[str, Any] = {
        "id": attempt.id,
        "template": attempt.template.name,
        "title": attempt.template.title,
        "mode": attempt.mode,
        "status": attempt.status,
        "started_at": iso(attempt.started_at),
        "deadline": iso(attempt.deadline_at),
        "remaining_seconds": remaining_seconds(attempt, now),
        "seq": seq,
        "items": [
            {
                "position": v.position,
                "stem": v.stem,
                "options": [{"id": o.id, "text": o.text} for o in v.options],
            }
            for v in views
        ],
        "responses": [
            {
                "position": v.position,
                "choice": v.choice,
                "flagged": v.flagged,
                "struck": list(v.struck),
            }
            for v in views
        ],
    }
    feedback = {v.position: v.feedback for v in views if v.feedback is not None}
    if feedback:
        data["feedback"] = {str(k): v for k, v in feedback.items()}
    if attempt.status != AttemptStatus.IN_PROGRESS:
        data["result_url"] = f"/attempts/{attempt.id}/scorecard"
    return data
