"""The query every grader-side reader starts from: attempt items with the versions they showed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from exam_engine.models import AttemptItem, Question, QuestionVersion


def shown_items(*columns: Any) -> Select[Any]:
    """Select ``columns`` over attempt items joined to the version each showed and its question.

    Grading reads the version an attempt showed, never the newest one: a later edit must not
    change an old score.
    """
    return (
        select(*columns)
        .select_from(AttemptItem)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .join(Question, Question.id == AttemptItem.question_id)
    )
