"""The two hidden practice templates study starts: the weak-area drill and the review session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import Mode
from exam_engine.models import ExamTemplate
from exam_engine.services.catalog import bundled_blueprint

DRILL_TEMPLATE = "drill-weak-areas"
REVIEW_TEMPLATE = "review-due"

_TEMPLATES: dict[str, dict[str, Any]] = {
    DRILL_TEMPLATE: {
        "title": "Drill my weak areas",
        "description": "A short practice set from your weakest sub-domains, with feedback.",
        "item_count": 15,
        "minutes": 30,
    },
    REVIEW_TEMPLATE: {
        "title": "Review due items",
        "description": "Items you missed or flagged, brought back when they are due.",
        "item_count": 20,
        "minutes": 40,
    },
}


def ensure_template(session: Session, name: str) -> ExamTemplate:
    """Return the drill or review template row, creating it if missing (flushed, no commit).

    Call it in the use case's transaction before anything else is written, and run the use
    case with ``retry_on_race``: a request that loses the race to create the row rolls back
    whole, and its second run reads the winner's row.
    """
    row = session.scalar(select(ExamTemplate).where(ExamTemplate.name == name))
    if row is not None:
        return row
    row = ExamTemplate(
        name=name,
        blueprint=bundled_blueprint().name,
        mode=Mode.PRACTICE,
        # Hidden from the template list: the Study panel starts these.
        is_active=False,
        **_TEMPLATES[name],
    )
    session.add(row)
    session.flush()
    return row
