"""Question authoring: create, edit, review, publish, retire; history, diffs; every change audited.

Validation reuses the YAML bank's rules (:func:`exam_engine.domain.bank.validate_items` on a
:class:`RawItem` built from the editor), and the item-writing lint runs on the edited item,
against the rest of the bank for the duplicate-stem rules. Each use case is one transaction
that also writes its :class:`AuditEvent`.

Workflow: draft -> in_review -> published -> retired. Editing a published (or retired) version
makes a new draft version; the published one stays live until the new one is published, and
is then retired. A draft is edited in place; editing one in review sends it back to draft.
Only someone other than the version's author (or an admin) publishes it.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.domain.bank import (
    KEY_NUMBER_DIGITS,
    OPTION_LABELS,
    ItemRecord,
    RawItem,
    did_you_mean,
    validate_items,
)
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.errors import BlueprintError
from exam_engine.domain.lint import Finding, lint
from exam_engine.models import AuditEvent, Question, QuestionVersion, User
from exam_engine.services.bank import latest_versions, version_record, version_values
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.errors import Conflict, Forbidden, NotFound, ValidationFailed

OBJECT_TYPE = "question"
EDITOR_FILE = "editor"
# Rules that compare an item with the rest of the bank; the others look at one item.
PAIRWISE_RULES: tuple[str, ...] = ("duplicate-stem", "near-duplicate-stem")
SUMMARY_MAX = 500

# Each editor field gets its own synthetic "line", so a domain Problem or lint Finding (which
# carry lines, as for a YAML file) can be mapped back to the form field it is about.
FIELDS: tuple[str, ...] = (
    "key",
    "subdomain",
    "difficulty",
    "stem",
    "options",
    *(f"options.{label}" for label in OPTION_LABELS),
    "rationale",
    *(f"rationale.{label}" for label in OPTION_LABELS),
    "answer",
    "references",
    "enemies",
)
FIELD_LINES: dict[str, int] = {name: number for number, name in enumerate(FIELDS, start=1)}
_FIELD_AT_LINE: dict[int, str] = {number: name for name, number in FIELD_LINES.items()}

LintFilter = Literal["", "errors", "warnings", "clean"]
SORTS: tuple[str, ...] = ("key", "subdomain", "difficulty", "status", "updated", "lint")
LINT_FILTERS: tuple[str, ...] = ("errors", "warnings", "clean")


# --- values in and out -----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    """What the editor submits: options and rationales in A-D order, the key as a letter."""

    key: str
    subdomain: str
    difficulty: str
    stem: str
    options: tuple[str, ...]
    rationales: tuple[str, ...]
    answer: str
    references: tuple[str, ...] = ()
    enemies: tuple[str, ...] = ()

    @classmethod
    def from_version(cls, key: str, version: QuestionVersion) -> ItemInput:
        """The stored content of a version, as the editor shows it."""
        return cls(
            key=key,
            subdomain=version.subdomain,
            difficulty=version.difficulty,
            stem=version.stem,
            options=tuple(str(o) for o in version.options),
            rationales=tuple(str(r) for r in version.rationales),
            answer=OPTION_LABELS[version.answer_index],
            references=tuple(str(r) for r in version.references),
            enemies=tuple(str(e) for e in version.enemies),
        )


class ItemInvalid(ValidationFailed):
    """The item breaks the bank's rules; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(f"{name or 'item'}: {' '.join(msgs)}" for name, msgs in errors.items())
        )


class LintErrors(Conflict):
    """The item has lint errors, so it may not go on to review or publication."""

    def __init__(self, key: str, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        listed = "; ".join(f"[{f.rule}] {f.message}" for f in self.findings)
        super().__init__(f"{key} has {len(self.findings)} lint error(s): {listed}")


@dataclass(frozen=True)
class ItemCheck:
    """The result of checking an item: per-field problems, or a record and its lint findings."""

    record: ItemRecord | None
    problems: dict[str, list[str]]
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Findings at level error."""
        return tuple(f for f in self.findings if f.level == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Findings at level warning."""
        return tuple(f for f in self.findings if f.level == "warning")


def field_of(finding: Finding) -> str:
    """The editor field a finding about an edited item points at (``""``: the whole item)."""
    return _FIELD_AT_LINE.get(finding.line, "")


# --- reading ---------------------------------------------------------------------------------


def get_question(session: Session, key: str, *, lock: bool = False) -> Question:
    """Return the question with this key, or raise NotFound."""
    query = select(Question).where(Question.key == key)
    if lock:
        # Serializes workflow steps on one question (PostgreSQL; SQLite has one writer).
        query = query.with_for_update()
    question = session.scalar(query)
    if question is None:
        raise NotFound(f"question {key!r} not found")
    return question


def newest_of(question: Question) -> QuestionVersion:
    """The question's newest version (every question has at least one)."""
    return max(question.versions, key=lambda v: v.number)


def live_of(question: Question) -> QuestionVersion | None:
    """The question's published version, the one new exams draw (if any)."""
    published = [v for v in question.versions if v.status == "published"]
    return max(published, key=lambda v: v.number) if published else None


def version_of(question: Question, number: int) -> QuestionVersion:
    """Return version ``number`` of the question, or raise NotFound."""
    for version in question.versions:
        if version.number == number:
            return version
    raise NotFound(f"question {question.key} has no version {number}")


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Map user ids to display names (name, else email)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.name, User.email).where(User.id.in_(wanted)))
    return {uid: name or email for uid, name, email in rows}


# --- keys ------------------------------------------------------------------------------------


def next_free_key(session: Session, subdomain: str, blueprint: Blueprint | None = None) -> str:
    """Propose the key after the highest one used in the sub-domain (keys are never reused)."""
    blueprint = blueprint or bundled_blueprint()
    try:
        code = blueprint.subdomain(subdomain).code
    except BlueprintError as error:
        known = ", ".join(blueprint.subdomain_codes)
        raise ValidationFailed(
            f"subdomain: unknown sub-domain {subdomain!r} (known: {known})"
        ) from error
    pattern = re.compile(re.escape(code) + r"-(\d{" + str(KEY_NUMBER_DIGITS) + r"})")
    keys = session.scalars(select(Question.key).where(Question.key.like(f"{code}-%")))
    numbers = [int(m.group(1)) for key in keys if (m := pattern.fullmatch(key))]
    number = max(numbers, default=0) + 1
    if number >= 10**KEY_NUMBER_DIGITS:
        raise Conflict(f"sub-domain {code} has no free key left")
    return f"{code}-{number:0{KEY_NUMBER_DIGITS}d}"


# --- validation and lint ---------------------------------------------------------------------


def _labelled(values: Sequence[str]) -> dict[str, str]:
    labels = [*OPTION_LABELS, *(chr(ord("A") + i) for i in range(len(OPTION_LABELS), 26))]
    return {labels[i]: value for i, value in enumerate(values[: len(labels)])}


def raw_item(data: ItemInput) -> RawItem:
    """Build the raw item the YAML loader would produce for the editor's values."""
    return RawItem(
        file=EDITOR_FILE,
        line=0,
        data={
            "key": data.key.strip(),
            "subdomain": data.subdomain.strip(),
            "difficulty": data.difficulty.strip(),
            "stem": data.stem,
            "options": _labelled(data.options),
            "answer": data.answer.strip(),
            "rationale": _labelled(data.rationales),
            "references": [r for r in data.references if r.strip()],
            "enemies": [e for e in data.enemies if e.strip()],
        },
        lines=FIELD_LINES,
    )


def _problems_by_field(key: str, problems: Iterable[Any]) -> dict[str, list[str]]:
    prefixes = (f"item {key}: ", "item: ")
    found: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        reason = str(problem.reason)
        for prefix in prefixes:
            if reason.startswith(prefix):
                reason = reason[len(prefix) :]
                break
        name = _FIELD_AT_LINE.get(problem.line, "")
        if reason not in found[name]:
            found[name].append(reason)
    return dict(found)


def validate_input(
    session: Session,
    data: ItemInput,
    *,
    editing: str | None = None,
    blueprint: Blueprint | None = None,
) -> tuple[ItemRecord | None, dict[str, list[str]]]:
    """Check the editor's values by the bank's rules; enemies must be keys in the database.

    ``editing`` is the key of the question being edited (None for a new question).
    """
    blueprint = blueprint or bundled_blueprint()
    key = data.key.strip()
    existing = set(session.scalars(select(Question.key)))
    # Every other key in the database stands in as a bare item, so validate_items checks
    # enemies against the real bank (and suggests close keys) exactly as it does for files.
    stand_ins = [RawItem("<bank>", 0, {"key": k}) for k in sorted(existing) if k != key]
    _records, problems = validate_items([raw_item(data), *stand_ins], blueprint)
    errors = _problems_by_field(key, [p for p in problems if p.file == EDITOR_FILE])
    if editing is None and key in existing:
        message = f"key {key!r} is already taken"
        subdomain = data.subdomain.strip()
        if subdomain in blueprint.subdomain_codes:
            message += f"; the next free key in {subdomain} is {next_free_key(session, subdomain)}"
        errors.setdefault("key", []).append(message)
    elif editing is not None and key != editing:
        errors.setdefault("key", []).append(
            f"the key of {editing} cannot change; create a new question instead"
        )
    if errors and "enemies" not in errors:
        # validate_items checks references only on otherwise valid items; the editor shows
        # every problem at once, so unknown enemies are named in the same round.
        unknown = [
            f"enemy {e!r} is not a key in the bank{did_you_mean(e, existing)}"
            for e in dict.fromkeys(e.strip() for e in data.enemies if e.strip())
            if e != key and e not in existing
        ]
        if unknown:
            errors["enemies"] = unknown
    # A blank choice in the editor reads better as a request than as a rejected value.
    if not data.difficulty.strip() and "difficulty" in errors:
        errors["difficulty"] = ["choose a difficulty: easy, medium or hard"]
    if not data.answer.strip() and "answer" in errors:
        errors["answer"] = ["mark the correct option: A, B, C or D"]
    record = _records[0] if _records and _records[0].source.file == EDITOR_FILE else None
    if errors:
        return None, errors
    return record, {}


def lint_record(session: Session, record: ItemRecord) -> tuple[Finding, ...]:
    """Lint one item by itself and, for the duplicate-stem rules, against the rest of the bank.

    The rest of the bank is the newest version of every other question that is not retired.
    """
    others = [
        version_record(key, version)
        for key, version in sorted(latest_versions(session).items())
        if key != record.key and version.status != "retired"
    ]
    own = lint([record])
    # The edited item goes last so that the pairwise rules report it, not the other item.
    pairwise = [f for f in lint([*others, record], rules=PAIRWISE_RULES) if f.key == record.key]
    return tuple(sorted(set(own) | set(pairwise), key=lambda f: (f.line, f.rule, f.message)))


def check_item(
    session: Session,
    data: ItemInput,
    *,
    editing: str | None = None,
    blueprint: Blueprint | None = None,
) -> ItemCheck:
    """Validate the editor's values and, when they are valid, lint them (nothing is written)."""
    record, problems = validate_input(session, data, editing=editing, blueprint=blueprint)
    if record is None:
        return ItemCheck(None, problems, ())
    return ItemCheck(record, {}, lint_record(session, record))


def _valid_record(session: Session, data: ItemInput, *, editing: str | None = None) -> ItemRecord:
    record, problems = validate_input(session, data, editing=editing)
    if record is None:
        raise ItemInvalid(problems)
    return record


def _changed_fields(version: QuestionVersion, record: ItemRecord) -> list[str]:
    """The editor fields whose content differs between a stored version and a record."""
    old = ItemInput.from_version(record.key, version)
    changed: list[str] = []
    for name in ("subdomain", "difficulty", "stem"):
        if getattr(old, name) != getattr(record, name):
            changed.append(name)
    for i, label in enumerate(OPTION_LABELS):
        if old.options[i] != record.options[i]:
            changed.append(f"options.{label}")
    if old.answer != record.answer_label:
        changed.append("answer")
    for i, label in enumerate(OPTION_LABELS):
        if old.rationales[i] != record.rationales[i]:
            changed.append(f"rationale.{label}")
    if tuple(old.references) != record.references:
        changed.append("references")
    if sorted(old.enemies) != sorted(record.enemies):
        changed.append("enemies")
    return changed


def _audit(
    session: Session,
    actor_id: int | None,
    action: str,
    key: str,
    summary: str,
    now: datetime,
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        at=now,
        actor_id=actor_id,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=key,
        summary=summary[:SUMMARY_MAX],
        details=details,
    )
    session.add(event)
    return event


def _commit(session: Session, what: str) -> None:
    """Commit, turning a lost race (a key or version number taken meanwhile) into a Conflict."""
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(f"{what} at the same moment; reload and try again") from error
    except Exception:
        session.rollback()
        raise


def _base_token(version: QuestionVersion) -> str:
    return f"{version.number}:{version.content_hash}"


def base_token(question: Question) -> str:
    """What the editor sends back so a save can tell whether someone saved in between."""
    return _base_token(newest_of(question))


# --- use cases -------------------------------------------------------------------------------


def create_question(
    session: Session, actor_id: int, data: ItemInput, *, now: datetime
) -> QuestionVersion:
    """Create a question and its first version, as a draft by ``actor_id``."""
    try:
        record = _valid_record(session, data)
        question = Question(key=record.key, created_at=now)
        version = QuestionVersion(
            question=question,
            number=1,
            status="draft",
            author_id=actor_id,
            created_at=now,
            **version_values(record),
        )
        session.add(version)
        _audit(
            session,
            actor_id,
            "create",
            record.key,
            f"Created {record.key} v1 (draft) in {record.subdomain}",
            now,
            version=1,
        )
    except Exception:
        session.rollback()
        raise
    _commit(session, f"someone else created {data.key.strip()!r}")
    return version


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the version now holding the edit, and whether anything changed."""

    version: QuestionVersion
    changed: bool
    new_version: bool
    fields: tuple[str, ...] = ()


def save_draft(
    session: Session,
    actor_id: int,
    key: str,
    data: ItemInput,
    *,
    now: datetime,
    base: str | None = None,
) -> SaveResult:
    """Save an edit: a new draft version over a published or retired one, else in place.

    ``base`` is :func:`base_token` of the version the editor started from; if someone saved
    since, the edit is refused (Conflict) rather than silently overwriting theirs. The saver
    becomes the version's author, so they cannot publish their own words.
    """
    try:
        question = get_question(session, key, lock=True)
        current = newest_of(question)
        if base is not None and base != _base_token(current):
            raise Conflict(
                f"{key} was changed by someone else since you opened it (now v{current.number}, "
                f"{current.status}); reload the editor to see their version"
            )
        record = _valid_record(session, data, editing=key)
        content = version_values(record)
        fields = tuple(_changed_fields(current, record))
        if not fields and current.content_hash == content["content_hash"]:
            session.rollback()
            return SaveResult(current, changed=False, new_version=False)
        if current.status in ("published", "retired"):
            version = QuestionVersion(
                question=question,
                number=current.number + 1,
                status="draft",
                author_id=actor_id,
                created_at=now,
                **content,
            )
            session.add(version)
            new_version = True
            summary = (
                f"Edited {key}: new draft v{version.number} "
                f"(v{current.number} is {current.status}); changed {', '.join(fields)}"
            )
            action = "new_version"
        else:
            version = current
            was = current.status
            for name, value in content.items():
                setattr(version, name, value)
            version.author_id = actor_id
            version.status = "draft"
            version.submitted_at = None
            new_version = False
            summary = f"Edited draft {key} v{version.number}; changed {', '.join(fields)}"
            if was == "in_review":
                summary += " (withdrawn from review)"
            action = "edit"
        _audit(
            session,
            actor_id,
            action,
            key,
            summary,
            now,
            version=version.number,
            fields=list(fields),
        )
    except Exception:
        session.rollback()
        raise
    _commit(session, f"someone else changed {key}")
    return SaveResult(version, changed=True, new_version=new_version, fields=fields)


def _require_lint_clean(session: Session, key: str, version: QuestionVersion) -> None:
    errors = [f for f in lint_record(session, version_record(key, version)) if f.level == "error"]
    if errors:
        raise LintErrors(key, errors)


def submit_for_review(
    session: Session, actor_id: int, key: str, *, now: datetime
) -> QuestionVersion:
    """Send the newest version, a draft without lint errors, to review."""
    try:
        question = get_question(session, key, lock=True)
        version = newest_of(question)
        if version.status != "draft":
            raise Conflict(
                f"{key} v{version.number} is {version.status.replace('_', ' ')}; "
                "only a draft can be sent to review"
            )
        _require_lint_clean(session, key, version)
        version.status = "in_review"
        version.submitted_at = now
        version.review_note = ""
        _audit(
            session,
            actor_id,
            "submit",
            key,
            f"Sent {key} v{version.number} to review",
            now,
            version=version.number,
        )
    except Exception:
        session.rollback()
        raise
    _commit(session, f"someone else changed {key}")
    return version


def can_publish(user: User, version: QuestionVersion) -> bool:
    """Whether this user may publish the version: a reviewer other than its author, or an admin."""
    return user.role == "admin" or (user.has_role("instructor") and version.author_id != user.id)


def publish(session: Session, actor_id: int, key: str, *, now: datetime) -> QuestionVersion:
    """Publish the version in review; the previously published version is retired."""
    try:
        actor = _user(session, actor_id)
        question = get_question(session, key, lock=True)
        version = newest_of(question)
        if version.status != "in_review":
            raise Conflict(
                f"{key} v{version.number} is {version.status.replace('_', ' ')}; "
                "only a version in review can be published"
            )
        if not can_publish(actor, version):
            raise Forbidden(
                f"you wrote {key} v{version.number}; another instructor must review and publish it"
            )
        _require_lint_clean(session, key, version)
        retired = []
        for other in question.versions:
            if other is not version and other.status == "published":
                other.status = "retired"
                other.retired_at = now
                retired.append(other.number)
        version.status = "published"
        version.published_at = now
        version.reviewer_id = actor.id
        summary = f"Published {key} v{version.number}"
        if retired:
            summary += f"; retired v{', v'.join(map(str, retired))}"
        _audit(
            session,
            actor_id,
            "publish",
            key,
            summary,
            now,
            version=version.number,
            retired=retired,
        )
    except Exception:
        session.rollback()
        raise
    _commit(session, f"someone else changed {key}")
    return version


def return_to_draft(
    session: Session, actor_id: int, key: str, note: str, *, now: datetime
) -> QuestionVersion:
    """Send a version in review back to draft with the reviewer's note."""
    note = note.strip()
    try:
        if not note:
            raise ValidationFailed("note: say what the author should change")
        question = get_question(session, key, lock=True)
        version = newest_of(question)
        if version.status != "in_review":
            raise Conflict(
                f"{key} v{version.number} is {version.status.replace('_', ' ')}; "
                "only a version in review can be sent back"
            )
        version.status = "draft"
        version.submitted_at = None
        version.review_note = note
        if actor_id != version.author_id:
            version.reviewer_id = actor_id
        _audit(
            session,
            actor_id,
            "return",
            key,
            f"Sent {key} v{version.number} back to draft: {note}",
            now,
            version=version.number,
            note=note,
        )
    except Exception:
        session.rollback()
        raise
    _commit(session, f"someone else changed {key}")
    return version


def retire(session: Session, actor_id: int, key: str, *, now: datetime) -> QuestionVersion:
    """Retire the published version: new exams stop drawing the question."""
    try:
        question = get_question(session, key, lock=True)
        version = live_of(question)
        if version is None:
            raise Conflict(f"{key} has no published version to retire")
        version.status = "retired"
        version.retired_at = now
        _audit(
            session,
            actor_id,
            "retire",
            key,
            f"Retired {key} v{version.number}",
            now,
            version=version.number,
        )
    except Exception:
        session.rollback()
        raise
    _commit(session, f"someone else changed {key}")
    return version


# --- history and diff ------------------------------------------------------------------------


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
class Segment:
    """A run of text on one side of a changed line; ``changed`` marks the differing words."""

    text: str
    changed: bool


@dataclass(frozen=True)
class DiffRow:
    """One side-by-side row: ``equal``, ``replace``, ``delete`` or ``insert``."""

    kind: str
    left: tuple[Segment, ...] | None
    right: tuple[Segment, ...] | None


@dataclass(frozen=True)
class UnifiedLine:
    """One line of a unified diff: ``kind`` is ``context``, ``removed``, ``added`` or ``hunk``."""

    kind: str
    text: str


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


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _word_segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Split two lines into runs of same and changed words."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), tag != "equal"))
    return tuple(left), tuple(right)


def diff_lines(old: Sequence[str], new: Sequence[str]) -> tuple[DiffRow, ...]:
    """Side-by-side rows for two texts given as lines, changed lines split into words."""
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                DiffRow("equal", (Segment(line, False),), (Segment(line, False),))
                for line in old[i1:i2]
            )
            continue
        left_lines, right_lines = list(old[i1:i2]), list(new[j1:j2])
        for n in range(max(len(left_lines), len(right_lines))):
            left = left_lines[n] if n < len(left_lines) else None
            right = right_lines[n] if n < len(right_lines) else None
            if left is not None and right is not None:
                rows.append(DiffRow("replace", *_word_segments(left, right)))
            elif left is not None:
                rows.append(DiffRow("delete", (Segment(left, True),), None))
            else:
                rows.append(DiffRow("insert", None, (Segment(right or "", True),)))
    return tuple(rows)


def unified_lines(old: Sequence[str], new: Sequence[str]) -> tuple[UnifiedLine, ...]:
    """A unified diff of two texts given as lines, without the file header."""
    out: list[UnifiedLine] = []
    for line in difflib.unified_diff(list(old), list(new), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(UnifiedLine("hunk", line))
        elif line.startswith("-"):
            out.append(UnifiedLine("removed", line[1:]))
        elif line.startswith("+"):
            out.append(UnifiedLine("added", line[1:]))
        else:
            out.append(UnifiedLine("context", line[1:]))
    return tuple(out)


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


# --- the bank browser ------------------------------------------------------------------------


@dataclass(frozen=True)
class BrowseRow:
    """One question in the browser: its newest version, live version and lint counts."""

    key: str
    version: QuestionVersion
    live_number: int | None
    errors: int
    warnings: int
    updated_at: datetime
    author: str

    @property
    def lint_state(self) -> str:
        """``errors``, ``warnings`` or ``clean``."""
        return "errors" if self.errors else "warnings" if self.warnings else "clean"


@dataclass(frozen=True)
class BrowsePage:
    """One page of browser rows and the paging around it."""

    rows: tuple[BrowseRow, ...]
    total: int
    page: int
    pages: int
    per_page: int

    @property
    def first_index(self) -> int:
        """1-based position of the first row shown (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        """1-based position of the last row shown."""
        return self.first_index + len(self.rows) - 1 if self.rows else 0


@dataclass(frozen=True)
class BrowseQuery:
    """Filters, sort and page for the bank browser (empty strings mean "any")."""

    text: str = ""
    domain: str = ""
    subdomain: str = ""
    difficulty: str = ""
    status: str = ""
    lint: str = ""
    sort: str = "key"
    descending: bool = False
    page: int = 1
    per_page: int = 25


def _updated(version: QuestionVersion) -> datetime:
    moments = [version.created_at, version.submitted_at, version.published_at, version.retired_at]
    return max(m for m in moments if m is not None)


def browse(session: Session, query: BrowseQuery) -> BrowsePage:
    """Search, filter, sort and page the newest version of every question."""
    newest = latest_versions(session)
    # As in the editor, retired items are not compared with the rest of the bank.
    active = [version_record(k, v) for k, v in sorted(newest.items()) if v.status != "retired"]
    findings = lint(active)
    for key, version in sorted(newest.items()):
        if version.status == "retired":
            findings.extend(lint([version_record(key, version)]))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"error": 0, "warning": 0})
    for finding in findings:
        if finding.key:
            counts[finding.key][finding.level] += 1
    live: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(Question.key, func.max(QuestionVersion.number))
            .join(QuestionVersion, QuestionVersion.question_id == Question.id)
            .where(QuestionVersion.status == "published")
            .group_by(Question.key)
        ).all()
    )
    names = user_names(session, (v.author_id for v in newest.values()))
    needle = query.text.strip().casefold()
    rows: list[BrowseRow] = []
    for key, version in newest.items():
        if query.domain and version.domain != query.domain:
            continue
        if query.subdomain and version.subdomain != query.subdomain:
            continue
        if query.difficulty and version.difficulty != query.difficulty:
            continue
        if query.status and version.status != query.status:
            continue
        if needle:
            haystack = " ".join([key, version.stem, *map(str, version.options)]).casefold()
            if needle not in haystack:
                continue
        row = BrowseRow(
            key=key,
            version=version,
            live_number=live.get(key),
            errors=counts[key]["error"],
            warnings=counts[key]["warning"],
            updated_at=_updated(version),
            author=names.get(version.author_id or -1, ""),
        )
        if query.lint == "errors" and not row.errors:
            continue
        if query.lint == "warnings" and not row.warnings:
            continue
        if query.lint == "clean" and (row.errors or row.warnings):
            continue
        rows.append(row)
    sort_keys: dict[str, Any] = {
        "key": lambda r: r.key,
        "subdomain": lambda r: (r.version.subdomain, r.key),
        "difficulty": lambda r: (("easy", "medium", "hard").index(r.version.difficulty), r.key),
        "status": lambda r: (
            ("draft", "in_review", "published", "retired").index(r.version.status),
            r.key,
        ),
        "updated": lambda r: (r.updated_at, r.key),
        "lint": lambda r: (r.errors, r.warnings, r.key),
    }
    rows.sort(key=sort_keys.get(query.sort, sort_keys["key"]), reverse=query.descending)
    per_page = max(1, query.per_page)
    pages = max(1, math.ceil(len(rows) / per_page))
    page = min(max(1, query.page), pages)
    start = (page - 1) * per_page
    return BrowsePage(tuple(rows[start : start + per_page]), len(rows), page, pages, per_page)
