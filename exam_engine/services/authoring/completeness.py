"""Whether a stored version is complete enough for review or publication, and what it lacks."""

from __future__ import annotations

from collections.abc import Sequence

from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.drafts import checklist, missing_message
from exam_engine.models import QuestionVersion
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.errors import Conflict


class IncompleteItem(Conflict):
    """An item with a non-empty checklist cannot go to review or be published."""

    def __init__(self, key: str, missing: Sequence[str]) -> None:
        self.missing = tuple(missing)
        super().__init__(missing_message(key, missing))


def version_checklist(
    version: QuestionVersion, blueprint: Blueprint | None = None
) -> tuple[str, ...]:
    """What a stored version still lacks before review or publication (empty when complete)."""
    return checklist(
        subdomain=version.subdomain,
        difficulty=version.difficulty,
        stem=version.stem,
        options=[str(o) for o in version.options],
        answer=version.answer_index,
        rationales=[str(r) for r in version.rationales],
        references=[str(r) for r in version.references],
        blueprint=blueprint or bundled_blueprint(),
    )


def require_complete(key: str, version: QuestionVersion) -> None:
    """Raise IncompleteItem naming every missing part, unless the version is complete."""
    missing = version_checklist(version)
    if missing:
        raise IncompleteItem(key, missing)
