"""Question-bank use cases: import (all or nothing, idempotent, versioned) and statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.domain import testwise
from exam_engine.domain.bank import ItemRecord, SourceRef
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.lint import count_by_rule, lint, summarize
from exam_engine.domain.lint.staleness import DEFAULT_STALE_DAYS, stale_items
from exam_engine.domain.plurals import counted
from exam_engine.domain.vocabulary import VersionStatus
from exam_engine.models import Question, QuestionVersion, utcnow
from exam_engine.services import audit as audit_trail
from exam_engine.services import jobs
from exam_engine.services.batches import BatchWriter
from exam_engine.services.catalog import sync_templates
from exam_engine.services.errors import ValidationFailed
from exam_engine.services.jobs import names
from exam_engine.services.transaction import transaction
from question_bank import LoadedBank

IMPORT_RACE = (
    "the bank was changed by another import at the same moment; nothing was imported, try again"
)


class ImportFailed(ValidationFailed):
    """The bank has problems; nothing was imported. ``problems`` are ``file:line: reason``.

    ``warnings`` are what the file would also have skipped (shown alongside the problems).
    """

    def __init__(self, problems: Sequence[object], warnings: Sequence[object] = ()) -> None:
        self.problems = tuple(str(p) for p in problems)
        self.warnings = tuple(str(w) for w in warnings)
        super().__init__("\n".join(self.problems))


@dataclass
class ImportReport:
    """What an import did.

    ``published`` lists keys whose newest version was an unchanged draft (or one in review)
    that a publishing import published as it stood.
    """

    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: int = 0
    templates_changed: int = 0
    published: list[str] = field(default_factory=list)

    @property
    def wrote_anything(self) -> bool:
        """True when the import changed the database."""
        return bool(self.created or self.new_versions or self.published or self.templates_changed)


def latest_versions(session: Session) -> dict[str, QuestionVersion]:
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


def _published_versions(session: Session) -> dict[int, list[QuestionVersion]]:
    """Every published version, by question id (a publishing import retires them)."""
    found: dict[int, list[QuestionVersion]] = {}
    for version in session.scalars(
        select(QuestionVersion).where(QuestionVersion.status == VersionStatus.PUBLISHED)
    ):
        found.setdefault(version.question_id, []).append(version)
    return found


def version_values(record: ItemRecord) -> dict[str, Any]:
    """The columns of a question version that hold an item's content (and its hash)."""
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
        "as_of": record.as_of,
        "source_ref": record.source_ref,
        "content_hash": record.content_hash(),
    }


def import_records(
    session: Session,
    items: Sequence[ItemRecord],
    blueprint: Blueprint,
    *,
    publish: bool = True,
    author_id: int | None = None,
    progress: Callable[[int], None] | None = None,
    audit: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Write validated items and the blueprint's templates in one transaction.

    An unchanged item writes nothing (with ``publish``, an unchanged draft or version in
    review is published as it stands); a changed one gets a new version. Publishing a version
    retires every other published version of its question, which stays for the attempts that
    showed it. With ``audit`` (details such as format and file), an ``import`` AuditEvent on
    the ``bank`` is written in the same transaction. A unique key taken by a concurrent import
    rolls everything back and raises Conflict.
    """
    report = ImportReport()
    now = now or utcnow()
    status = VersionStatus.PUBLISHED if publish else VersionStatus.DRAFT
    with transaction(session, conflict=IMPORT_RACE):
        latest = latest_versions(session)
        live = _published_versions(session) if publish else {}
        writer = BatchWriter(session)
        for record in items:
            _import_one(writer, record, latest, live, report, publish, author_id, now)
            if progress is not None:
                progress(1)
        writer.flush()
        report.templates_changed = sync_templates(session, blueprint)
        if audit is not None:
            _audit_import(session, report, blueprint, audit, author_id, status, now)
    if publish or report.templates_changed:
        jobs.enqueue(session, names.REFRESH_FORMS, user_id=author_id, remake_all=True)
    return report


def _import_one(
    writer: BatchWriter,
    record: ItemRecord,
    latest: Mapping[str, QuestionVersion],
    live: Mapping[int, Sequence[QuestionVersion]],
    report: ImportReport,
    publish: bool,
    author_id: int | None,
    now: datetime,
) -> None:
    """Write one item: nothing when unchanged (or publish it as it stands), else a version."""
    current = latest.get(record.key)
    values = version_values(record)
    if current is not None and current.content_hash == values["content_hash"]:
        if publish and current.status in (VersionStatus.DRAFT, VersionStatus.IN_REVIEW):
            _retire(live.get(current.question_id, ()), keep=current, now=now)
            current.status = VersionStatus.PUBLISHED
            current.published_at = now
            report.published.append(record.key)
        else:
            report.unchanged += 1
        return
    new_question: Question | None = None
    if current is None:
        question = new_question = Question(key=record.key)
        number = 1
        report.created.append(record.key)
    else:
        question = current.question
        number = current.number + 1
        report.new_versions.append(record.key)
        if publish:
            _retire(live.get(current.question_id, ()), keep=None, now=now)
    version = QuestionVersion(
        question=question,
        number=number,
        status=VersionStatus.PUBLISHED if publish else VersionStatus.DRAFT,
        author_id=author_id,
        created_at=now,
        published_at=now if publish else None,
        **values,
    )
    if new_question is not None:
        writer.add(new_question, version)
    else:
        writer.add(version)


def _retire(
    versions: Iterable[QuestionVersion], *, keep: QuestionVersion | None, now: datetime
) -> None:
    for version in versions:
        if version is not keep and version.status == VersionStatus.PUBLISHED:
            version.status = VersionStatus.RETIRED
            version.retired_at = now


def _audit_import(
    session: Session,
    report: ImportReport,
    blueprint: Blueprint,
    details: Mapping[str, Any],
    actor_id: int | None,
    status: str,
    now: datetime,
) -> None:
    source = details.get("filename") or details.get("source") or "a bank"
    summary = (
        f"Imported {source} ({details.get('format', 'yaml')}) as {status}: "
        f"{len(report.created)} new, {counted(len(report.new_versions), 'new version')}, "
        f"{len(report.published)} published, {report.unchanged} unchanged"
    )
    audit_trail.record(
        session,
        actor_id,
        "import",
        "bank",
        blueprint.name,
        summary,
        at=now,
        details={
            **details,
            "status": status,
            "created": report.created,
            "new_versions": report.new_versions,
            "published": report.published,
            "unchanged": report.unchanged,
            "templates_changed": report.templates_changed,
        },
    )


def import_bank(
    session: Session,
    bank: LoadedBank,
    *,
    publish: bool = True,
    author_id: int | None = None,
    progress: Callable[[int], None] | None = None,
    audit: Mapping[str, Any] | None = None,
) -> ImportReport:
    """Import a loaded bank in one transaction; a bank with any problem imports nothing.

    An unchanged item writes nothing; a changed one gets a new version (the old version stays
    for the attempts that showed it and is retired when the new one is published).
    """
    if bank.problems:
        raise ImportFailed(bank.problems)
    return import_records(
        session,
        bank.items,
        bank.blueprint,
        publish=publish,
        author_id=author_id,
        progress=progress,
        audit=audit,
    )


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
        as_of=version.as_of,
        source_ref=version.source_ref,
        source=SourceRef(f"db:{key}@v{version.number}", 0),
    )


def bank_stats(
    session: Session, *, today: date | None = None, stale_days: int = DEFAULT_STALE_DAYS
) -> dict[str, Any]:
    """Counts of the newest version of every question, by domain, sub-domain, difficulty, status.

    Counts by domain, sub-domain and difficulty are over published items (what exams draw), as
    are the no-knowledge solver's hit rates (``testwise``) and the stale items (with ``today``).
    """
    latest = latest_versions(session)
    published = [v for v in latest.values() if v.status == VersionStatus.PUBLISHED]
    records = [version_record(k, v) for k, v in sorted(latest.items())]
    live = [r for r in records if latest[r.key].status == VersionStatus.PUBLISHED]
    findings = lint(records, today=today, stale_days=stale_days)
    return {
        "items": len(latest),
        "published": len(published),
        "by_status": dict(sorted(Counter(v.status for v in latest.values()).items())),
        "by_domain": dict(sorted(Counter(v.domain for v in published).items())),
        "by_subdomain": dict(sorted(Counter(v.subdomain for v in published).items())),
        "by_difficulty": dict(sorted(Counter(v.difficulty for v in published).items())),
        "lint": {**summarize(findings), "by_rule": count_by_rule(findings)},
        "testwise": {name: round(rate, 4) for name, rate in testwise.run(live).hit_rates.items()},
        "stale": len(stale_items(live, today, stale_days)) if today is not None else None,
    }
