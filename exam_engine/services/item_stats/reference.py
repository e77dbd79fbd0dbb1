"""The plain ORM reader of item analysis's input: the reference the fast paths are tested against.

Slow on a large bank (one ORM query per table, Python loops), obviously right, and kept so:
``tests/integration/test_item_stats.py`` requires the packed-record and raw-row readers of
``fast_io`` to return exactly what this one returns.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.item_scopes import ResponseData
from exam_engine.models import Attempt, AttemptItem, ExamTemplate, QuestionVersion
from exam_engine.services.item_stats.fast_io import finished_mock


def load_responses_plain(session: Session) -> ResponseData:
    """Every finished mock attempt (by start, then id) and its items, read through the ORM."""
    attempts = session.execute(
        select(Attempt.id, Attempt.user_id, Attempt.template_id)
        .where(finished_mock())
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    names = dict(session.execute(select(ExamTemplate.id, ExamTemplate.name)).tuples().all())
    template_ids = sorted({template_id for _, _, template_id in attempts})
    template_index = {template_id: i for i, template_id in enumerate(template_ids)}
    row_of = {attempt_id: row for row, (attempt_id, _, _) in enumerate(attempts)}
    seen: dict[str, tuple[int, int]] = {}
    for attempt_id, _, template_id in attempts:
        count, total = seen.get(names[template_id], (0, 0))
        seen[names[template_id]] = (count + 1, total + attempt_id)
    items = session.execute(
        select(
            AttemptItem.attempt_id,
            AttemptItem.position,
            AttemptItem.question_version_id,
            AttemptItem.choice,
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(finished_mock())
    ).all()
    entries = sorted(
        (row_of[attempt_id], position, version_id, -1 if choice is None else choice)
        for attempt_id, position, version_id, choice in items
    )
    present = sorted({version_id for _, _, version_id, _ in entries})
    answers = dict(
        session.execute(
            select(QuestionVersion.id, QuestionVersion.answer_index).where(
                QuestionVersion.id.in_(present)
            )
        )
        .tuples()
        .all()
    )
    column_of = {version_id: column for column, version_id in enumerate(present)}

    def ints(values: list[int]) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    return ResponseData(
        attempt_ids=ints([a for a, _, _ in attempts]),
        attempt_user=ints([u for _, u, _ in attempts]),
        attempt_template=ints([template_index[t] for _, _, t in attempts]),
        template_names=tuple(names[t] for t in template_ids),
        entry_attempt=ints([row for row, _, _, _ in entries]),
        entry_position=ints([position for _, position, _, _ in entries]),
        entry_item=ints([column_of[version_id] for _, _, version_id, _ in entries]),
        entry_choice=ints([choice for _, _, _, choice in entries]),
        version_ids=ints(present),
        keys=ints([answers.get(version_id, -1) for version_id in present]),
        seen=seen,
    )
