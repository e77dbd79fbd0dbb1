"""A question's history: its versions, its audit trail, and field-by-field diffs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.bank import OPTION_LABELS
from exam_engine.domain.textdiff import DiffRow, UnifiedLine, diff_lines, unified_lines
from exam_engine.models import AuditEvent, Question, QuestionVersion
from exam_engine.services.authoring.reading import get_question, user_names, version_of

OBJECT_TYPE = "question"


@dataclass(frozen=True)
class History:
    """A question's versions (newest first) and its audit trail (newest first)."""

    question: Question
    versions: tuple[QuestionVersion, ...]
    events: tuple[AuditEvent, ...]
    names: dict[int, str]

    def name(self, user_id: int | None) -> str:
        """Display name of a user id (empty when none is recorded or the account is gone)."""
        if user_id is None:
            return ""
        return self.names.get(user_id, "")


def history(session: Session, key: str) -> History:
    """Return the question's versions and audit events, with the names of the people involved."""
    question = get_question(session, key)
    versions = tuple(sorted(question.versions, key=lambda v: v.number, reverse=True))
    events = tuple(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == OBJECT_TYPE, AuditEvent.object_id == key)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )
    ids = [e.actor_id for e in events]
    ids += [v.author_id for v in versions] + [v.reviewer_id for v in versions]
    return History(question, versions, events, user_names(session, ids))


@dataclass(frozen=True)
class FieldDiff:
    """The difference in one field between two versions."""

    name: str
    label: str
    changed: bool
    rows: tuple[DiffRow, ...]
    unified: tuple[UnifiedLine, ...]


@dataclass(frozen=True)
class VersionDiff:
    """Field-by-field differences from version ``old`` to version ``new`` of a question."""

    key: str
    old: QuestionVersion
    new: QuestionVersion
    fields: tuple[FieldDiff, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> tuple[FieldDiff, ...]:
        """Only the fields that differ."""
        return tuple(f for f in self.fields if f.changed)

    @property
    def unchanged(self) -> tuple[FieldDiff, ...]:
        """The fields that are the same in both versions."""
        return tuple(f for f in self.fields if not f.changed)


def _field_texts(version: QuestionVersion) -> list[tuple[str, str, list[str]]]:
    """Each diffable field of a version as (name, label, lines)."""
    fields: list[tuple[str, str, list[str]]] = [
        ("subdomain", "Sub-domain", [version.subdomain]),
        ("difficulty", "Difficulty", [version.difficulty]),
        ("stem", "Stem", version.stem.splitlines() or [""]),
    ]
    for i, label in enumerate(OPTION_LABELS):
        fields.append((f"options.{label}", f"Option {label}", str(version.options[i]).splitlines()))
    fields.append(("answer", "Key (correct option)", [OPTION_LABELS[version.answer_index]]))
    for i, label in enumerate(OPTION_LABELS):
        text = str(version.rationales[i])
        fields.append((f"rationale.{label}", f"Rationale {label}", text.splitlines()))
    fields.append(("references", "References", [str(r) for r in version.references]))
    fields.append(("enemies", "Enemies", sorted(str(e) for e in version.enemies)))
    as_of = version.as_of.isoformat() if version.as_of is not None else ""
    fields.append(("as_of", "Facts checked on", [as_of]))
    return fields


def diff_versions(session: Session, key: str, old: int, new: int) -> VersionDiff:
    """Compare two versions of a question field by field."""
    question = get_question(session, key)
    a, b = version_of(question, old), version_of(question, new)
    fields: list[FieldDiff] = []
    for (name, label, left), (_name, _label, right) in zip(
        _field_texts(a), _field_texts(b), strict=True
    ):
        changed = left != right
        fields.append(
            FieldDiff(
                name,
                label,
                changed,
                diff_lines(left, right),
                unified_lines(left, right) if changed else (),
            )
        )
    return VersionDiff(key, a, b, tuple(fields))
