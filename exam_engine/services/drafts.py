"""Drafts from other tools' files: import them, key them, and complete them in bulk.

A foreign file (GIFT from Moodle, a spreadsheet; see ``domain.formats.foreign_formats``)
that parses lands each supported item as a draft, however incomplete, and names each
skipped one. The engine assigns the key: the next free number in the item's sub-domain, or a
provisional ``DRAFT-0001`` when none is known, re-keyed when a sub-domain is set (drafts
have no attempts, so nothing refers to the old key but the audit trail, which records the
move). What a draft lacks is :func:`exam_engine.domain.drafts.checklist`, computed from its
fields whenever it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.bank import KEY_NUMBER_DIGITS, Problem
from exam_engine.domain.blueprint import DIFFICULTIES, Blueprint
from exam_engine.domain.drafts import (
    checklist,
    is_provisional,
    missing_message,
    next_provisional_key,
)
from exam_engine.domain.errors import BlueprintError
from exam_engine.domain.formats.foreign import ForeignItem
from exam_engine.domain.vocabulary import VersionStatus
from exam_engine.models import Question, QuestionVersion, utcnow
from exam_engine.services import audit, prepared_forms
from exam_engine.services.authoring.completeness import (
    IncompleteItem,
    require_complete,
    version_checklist,
)
from exam_engine.services.authoring.reading import get_question, newest_of
from exam_engine.services.bank import IMPORT_RACE, ImportFailed, version_record
from exam_engine.services.batches import BatchWriter
from exam_engine.services.catalog import bundled_blueprint, sync_templates
from exam_engine.services.errors import Conflict, ValidationFailed

__all__ = [
    "BulkResult",
    "DraftNote",
    "ImportedDrafts",
    "IncompleteItem",
    "IncompleteItems",
    "import_foreign_items",
    "require_complete",
    "set_drafts",
    "version_checklist",
]
from exam_engine.services.transaction import transaction


class IncompleteItems(ImportFailed):
    """Publishing was asked for items that lack what publishing needs; nothing was written."""

    status = 422


@dataclass(frozen=True)
class DraftNote:
    """One draft an import created: its key, the file's name for it, and what it lacks."""

    key: str
    source_ref: str
    line: int
    stem: str
    missing: tuple[str, ...]


def check_subdomain(code: str | None, blueprint: Blueprint) -> str | None:
    """The blueprint's code for ``code`` ('' or None: no sub-domain), or ValidationFailed."""
    if code is None or not code.strip():
        return None
    try:
        return blueprint.subdomain(code.strip().upper()).code
    except BlueprintError as error:
        known = ", ".join(blueprint.subdomain_codes)
        raise ValidationFailed(
            f"subdomain: unknown sub-domain {code.strip()!r} (known: {known})"
        ) from error


# The database bounds a draft's answer index (a letter A-Z); the editor shows four.
MAX_DRAFT_OPTIONS = 26


class _Keys:
    """Hands out keys for one import: the next free number per sub-domain, or provisional."""

    def __init__(self, session: Session) -> None:
        self.taken = set(session.scalars(select(Question.key)))
        # The highest number handed out per sub-domain: scanning every key for each new one
        # made an import of 11,000 drafts quadratic.
        self.highest: dict[str, int] = {}
        self.last_provisional: str | None = None

    def next(self, subdomain: str | None) -> str:
        if subdomain is None:
            # After the first, the next provisional key follows the last one handed out.
            key = next_provisional_key(
                [self.last_provisional] if self.last_provisional else self.taken
            )
            self.last_provisional = key
        else:
            if subdomain not in self.highest:
                pattern = re.compile(
                    re.escape(subdomain) + r"-(\d{" + str(KEY_NUMBER_DIGITS) + r"})"
                )
                numbers = [int(m.group(1)) for k in self.taken if (m := pattern.fullmatch(k))]
                self.highest[subdomain] = max(numbers, default=0)
            number = self.highest[subdomain] + 1
            if number >= 10**KEY_NUMBER_DIGITS:
                raise Conflict(f"sub-domain {subdomain} has no free key left")
            self.highest[subdomain] = number
            key = f"{subdomain}-{number:0{KEY_NUMBER_DIGITS}d}"
        self.taken.add(key)
        return key


def content_hash(key: str, version: QuestionVersion) -> str:
    """The content hash of a version's fields (drafts included, whatever they lack)."""
    return version_record(key, version).content_hash()


def _missing_of(item: ForeignItem, subdomain: str | None, blueprint: Blueprint) -> tuple[str, ...]:
    return checklist(
        subdomain=subdomain or "",
        difficulty=item.difficulty or "",
        stem=item.stem,
        options=item.options,
        answer=item.answer,
        rationales=item.rationales,
        references=item.references,
        blueprint=blueprint,
    )


def import_foreign_items(
    session: Session,
    items: Sequence[ForeignItem],
    warnings: Sequence[Problem],
    *,
    fmt: str,
    filename: str,
    subdomain: str | None,
    publish: bool,
    author_id: int | None,
    now: datetime | None = None,
) -> ImportedDrafts:
    """Write each foreign item as a new question (a draft unless ``publish``), in one transaction.

    ``subdomain`` tags the items whose file named none. With ``publish``, every item must be
    complete: otherwise IncompleteItems names each one and what it lacks, and nothing is
    written. An item imported before (a version with the same source_ref, stem and options)
    is skipped with a warning naming its key, so importing a file twice makes no copies. An
    ``import`` AuditEvent on the bank records the file, the drafts and the skips.
    """
    now = now or utcnow()
    blueprint = bundled_blueprint()
    default = check_subdomain(subdomain, blueprint)
    too_many = [
        Problem(
            item.file,
            item.line,
            f"item {item.source_ref or item.stem[:40]!r} skipped: {len(item.options)} options; "
            f"a draft holds at most {MAX_DRAFT_OPTIONS}",
        )
        for item in items
        if len(item.options) > MAX_DRAFT_OPTIONS
    ]
    items = [item for item in items if len(item.options) <= MAX_DRAFT_OPTIONS]
    planned = [(item, item.subdomain or default) for item in items]
    if publish:
        incomplete = [
            Problem(
                item.file,
                item.line,
                missing_message(f"item {item.source_ref or '(untitled)'!r}", missing)
                + "; import without --publish to complete it as a draft",
            )
            for item, code in planned
            if (missing := _missing_of(item, code, blueprint))
        ]
        if incomplete:
            raise IncompleteItems(incomplete, warnings)
    status = VersionStatus.PUBLISHED if publish else VersionStatus.DRAFT
    notes: list[DraftNote] = []
    repeats: list[Problem] = []
    with transaction(session, conflict=IMPORT_RACE):
        keys = _Keys(session)
        seen = _imported_before(session)
        writer = BatchWriter(session)
        for item, code in planned:
            earlier = seen.get(_fingerprint(item))
            if earlier is not None:
                repeats.append(
                    Problem(
                        item.file,
                        item.line,
                        f"item {item.source_ref or item.stem[:40]!r} skipped: already imported "
                        f"as {earlier} (same name, stem and options)",
                    )
                )
                continue
            key = keys.next(code)
            domain = blueprint.subdomain(code).domain if code else ""
            rationales = list(item.rationales) + [""] * (len(item.options) - len(item.rationales))
            version = QuestionVersion(
                question=Question(key=key, created_at=now),
                number=1,
                status=status,
                author_id=author_id,
                created_at=now,
                published_at=now if publish else None,
                domain=domain,
                subdomain=code or "",
                difficulty=item.difficulty or "",
                stem=item.stem,
                options=list(item.options),
                rationales=rationales[: len(item.options)],
                answer_index=item.answer,
                references=list(item.references),
                enemies=[],
                as_of=None,
                source_ref=item.source_ref[:200],
                source_feedback=item.general_feedback,
                content_hash="",
            )
            version.content_hash = content_hash(key, version)
            writer.add(version.question, version)
            notes.append(
                DraftNote(
                    key, item.source_ref, item.line, item.stem, _missing_of(item, code, blueprint)
                )
            )
        writer.flush()
        templates = sync_templates(session, blueprint)
        audit.record(
            session,
            author_id,
            "import",
            "bank",
            blueprint.name,
            f"Imported {filename} ({fmt}, another tool's file) as {status}: "
            f"{len(notes)} new, {len(warnings) + len(too_many) + len(repeats)} skipped or noted",
            at=now,
            details={
                "format": fmt,
                "filename": filename,
                "status": status,
                "items": len(notes),
                "created": [n.key for n in notes],
                "incomplete": {n.key: list(n.missing) for n in notes if n.missing},
                "warnings": [str(w) for w in (*warnings, *too_many, *repeats)],
                "templates_changed": templates,
            },
        )
    if publish or templates:
        prepared_forms.refresh_prepared_forms(session, now, remake_all=True)
    return ImportedDrafts(notes, repeats, too_many)


@dataclass(frozen=True)
class ImportedDrafts:
    """The drafts an import created, the items already imported, and those it cannot hold."""

    notes: list[DraftNote]
    repeats: list[Problem]
    skipped: list[Problem]


def _fingerprint(item: ForeignItem) -> tuple[str, str, tuple[str, ...]]:
    return (item.source_ref[:200], item.stem, tuple(item.options))


def _imported_before(session: Session) -> dict[tuple[str, str, tuple[str, ...]], str]:
    """Items imported from other tools before (any version with a source_ref), by content."""
    found: dict[tuple[str, str, tuple[str, ...]], str] = {}
    rows = session.execute(
        select(
            Question.key, QuestionVersion.source_ref, QuestionVersion.stem, QuestionVersion.options
        )
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .where(QuestionVersion.source_ref != "")
        .order_by(QuestionVersion.id)
    )
    for key, ref, stem, options in rows:
        found.setdefault((ref, stem, tuple(str(o) for o in options)), key)
    return found


def rekey(session: Session, question: Question, subdomain: str) -> str:
    """Give a provisional draft the next free key in ``subdomain`` (inside a transaction)."""
    keys = _Keys(session)
    new = keys.next(subdomain)
    question.key = new
    return new


@dataclass(frozen=True)
class BulkResult:
    """What a bulk change did: ``{old key: new key}`` for every draft changed."""

    changed: dict[str, str]


def set_drafts(
    session: Session,
    user_id: int,
    keys: Iterable[str],
    *,
    subdomain: str = "",
    difficulty: str = "",
    now: datetime,
) -> BulkResult:
    """Set a sub-domain and/or a difficulty on several drafts at once, in one transaction.

    A provisional key is replaced by the next free key of the new sub-domain; a draft that
    already had a sub-domain keeps its key (its number belongs to that sub-domain, so a
    different one is refused). Anything but the newest version being a draft is refused.
    """
    blueprint = bundled_blueprint()
    code = check_subdomain(subdomain, blueprint)
    level = difficulty.strip().lower()
    if level and level not in DIFFICULTIES:
        raise ValidationFailed(
            f"difficulty: {difficulty!r} must be one of {', '.join(DIFFICULTIES)}"
        )
    wanted = list(dict.fromkeys(k.strip() for k in keys if k.strip()))
    if not wanted:
        raise ValidationFailed("keys: choose at least one draft")
    if code is None and not level:
        raise ValidationFailed("choose a sub-domain or a difficulty to set")
    changed: dict[str, str] = {}
    with transaction(session, conflict=f"someone else changed {', '.join(wanted)}; try again"):
        for key in wanted:
            question = get_question(session, key, lock=True)
            version = newest_of(question)
            if version.status != VersionStatus.DRAFT:
                raise Conflict(f"{key} v{version.number} is {version.status}, not a draft")
            new_key = key
            fields: list[str] = []
            if code is not None and code != version.subdomain:
                if version.subdomain and not is_provisional(key):
                    raise Conflict(
                        f"{key} is in {version.subdomain}: its key belongs to that sub-domain; "
                        f"write a new question for {code}"
                    )
                version.subdomain = code
                version.domain = blueprint.subdomain(code).domain
                fields.append("subdomain")
                if is_provisional(key):
                    new_key = rekey(session, question, code)
            if level and level != version.difficulty:
                version.difficulty = level
                fields.append("difficulty")
            if not fields:
                continue
            version.content_hash = content_hash(new_key, version)
            version.author_id = version.author_id or user_id
            summary = f"Set {', '.join(fields)} on draft {key} v{version.number}"
            if new_key != key:
                summary += f"; re-keyed {key} as {new_key}"
            audit.record(
                session,
                user_id,
                "edit",
                "question",
                new_key,
                summary,
                at=now,
                details={"version": version.number, "fields": fields, "was": key},
            )
            changed[key] = new_key
            session.flush()
    return BulkResult(changed)
