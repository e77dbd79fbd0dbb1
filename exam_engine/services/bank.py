"""Question-bank use cases: import (all or nothing, idempotent, versioned) and statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.domain.bank import ItemRecord, SourceRef
from exam_engine.domain.lint import lint, summarize
from exam_engine.models import Question, QuestionVersion, utcnow
from exam_engine.services.catalog import sync_templates
from exam_engine.services.errors import ValidationFailed
from question_bank import LoadedBank


class ImportFailed(ValidationFailed):
    """The bank has problems; nothing was imported. ``problems`` are ``file:line: reason``."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems = tuple(str(p) for p in problems)
        super().__init__("\n".join(self.problems))


@dataclass
class ImportReport:
    """What an import did."""

    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: int = 0
    templates_changed: int = 0

    @property
    def wrote_anything(self) -> bool:
        """True when the import changed the database."""
        return bool(self.created or self.new_versions or self.templates_changed)


def _latest_versions(session: Session) -> dict[str, QuestionVersion]:
    """Return each question key's newest version."""
    newest = (
        select(QuestionVersion.question_id, func.max(QuestionVersion.number).label("number"))
        .group_by(QuestionVersion.question_id)
        .subquery()
    )
    rows = session.execute(
        select(Question.key, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .join(
            newest,
            (newest.c.question_id == QuestionVersion.question_id)
            & (newest.c.number == QuestionVersion.number),
        )
    )
    return {key: version for key, version in rows}


def _version_values(record: ItemRecord) -> dict[str, Any]:
    return {
        "domain": record.domain,
        "subdomain": record.subdomain,
        "difficulty": record.difficulty,
        "stem": record.stem,
        "options": list(record.options),
        "rationales": list(record.rationales),
        "answer_index": record.answer,
        "references": list(record.references),
        "enemies": list(record.enemies),
        "content_hash": record.content_hash(),
    }


def import_bank(
    session: Session,
    bank: LoadedBank,
    *,
    publish: bool = True,
    author_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a loaded bank in one transaction; a bank with any problem imports nothing.

    An unchanged item writes nothing; a changed one gets a new version (the old version stays
    for the attempts that showed it and is retired when the new one is published).
    """
    if bank.problems:
        raise ImportFailed(bank.problems)
    report = ImportReport()
    now = utcnow()
    status = "published" if publish else "draft"
    try:
        latest = _latest_versions(session)
        for record in bank.items:
            current = latest.get(record.key)
            values = _version_values(record)
            if current is not None and current.content_hash == values["content_hash"]:
                report.unchanged += 1
            else:
                if current is None:
                    question = Question(key=record.key)
                    session.add(question)
                    number = 1
                    report.created.append(record.key)
                else:
                    question = current.question
                    number = current.number + 1
                    report.new_versions.append(record.key)
                    if publish and current.status == "published":
                        current.status = "retired"
                session.add(
                    QuestionVersion(
                        question=question,
                        number=number,
                        status=status,
                        author_id=author_id,
                        published_at=now if publish else None,
                        **values,
                    )
                )
            if progress is not None:
                progress(1)
        report.templates_changed = sync_templates(session, bank.blueprint)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def version_record(key: str, version: QuestionVersion) -> ItemRecord:
    """Turn a stored version back into the domain's ItemRecord (for lint and export)."""
    return ItemRecord(
        key=key,
        subdomain=version.subdomain,
        domain=version.domain,
        stem=version.stem,
        options=tuple(version.options),
        answer=version.answer_index,
        rationales=tuple(version.rationales),
        references=tuple(version.references),
        difficulty=version.difficulty,
        enemies=tuple(version.enemies),
        source=SourceRef(f"db:{key}@v{version.number}", 0),
    )


def bank_stats(session: Session) -> dict[str, Any]:
    """Counts of the newest version of every question, by domain, sub-domain, difficulty, status.

    Counts by domain, sub-domain and difficulty are over published items (what exams draw).
    """
    latest = _latest_versions(session)
    published = [v for v in latest.values() if v.status == "published"]
    findings = lint([version_record(k, v) for k, v in sorted(latest.items())])
    return {
        "items": len(latest),
        "published": len(published),
        "by_status": dict(sorted(Counter(v.status for v in latest.values()).items())),
        "by_domain": dict(sorted(Counter(v.domain for v in published).items())),
        "by_subdomain": dict(sorted(Counter(v.subdomain for v in published).items())),
        "by_difficulty": dict(sorted(Counter(v.difficulty for v in published).items())),
        "lint": summarize(findings),
    }
