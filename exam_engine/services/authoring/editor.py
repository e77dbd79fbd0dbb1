"""The item editor's values: validation by the bank's own rules, lint, and field mapping.

Validation reuses the YAML bank's rules (:func:`exam_engine.domain.bank.validate_items` on a
:class:`RawItem` built from the editor), and the item-writing lint runs on the edited item,
against the rest of the bank for the rules that compare items.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.bank import (
    KEY_NUMBER_DIGITS,
    ItemRecord,
    RawItem,
    did_you_mean,
    validate_items,
)
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.drafts import DRAFT_LABELS, option_labels
from exam_engine.domain.errors import BlueprintError
from exam_engine.domain.lint import Finding, lint
from exam_engine.domain.plurals import counted
from exam_engine.domain.vocabulary import VersionStatus
from exam_engine.models import Question, QuestionVersion
from exam_engine.services.authoring.reading import newest_of
from exam_engine.services.bank import latest_versions, version_record
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.errors import Conflict, ValidationFailed

EDITOR_FILE = "editor"
# Rules that compare an item with the rest of the bank; the others look at one item.
PAIRWISE_RULES: tuple[str, ...] = ("duplicate-stem", "near-duplicate-stem")

# Each editor field gets its own synthetic "line", so a domain Problem or lint Finding (which
# carry lines, as for a YAML file) can be mapped back to the form field it is about.
FIELDS: tuple[str, ...] = (
    "key",
    "subdomain",
    "difficulty",
    "stem",
    "options",
    *(f"options.{label}" for label in DRAFT_LABELS),
    "rationale",
    *(f"rationale.{label}" for label in DRAFT_LABELS),
    "answer",
    "references",
    "enemies",
    "as_of",
)
FIELD_LINES: dict[str, int] = {name: number for number, name in enumerate(FIELDS, start=1)}
_FIELD_AT_LINE: dict[int, str] = {number: name for name, number in FIELD_LINES.items()}


@dataclass(frozen=True)
class ItemInput:
    """What the editor submits: options and rationales in letter order, the key as a letter.

    Four options, or more for a draft from another tool that has more (until trimmed).
    """

    key: str
    subdomain: str
    difficulty: str
    stem: str
    options: tuple[str, ...]
    rationales: tuple[str, ...]
    answer: str
    references: tuple[str, ...] = ()
    enemies: tuple[str, ...] = ()
    # YYYY-MM-DD as typed; empty when the item depends on no dated fact.
    as_of: str = ""

    @classmethod
    def from_version(cls, key: str, version: QuestionVersion) -> ItemInput:
        """The stored content of a version, as the editor shows it."""
        # A draft from another tool may have more than four options: all are shown, so the
        # instructor can choose the four to keep (the checklist asks for exactly four).
        labels = option_labels(len(version.options))
        options = [str(o) for o in version.options] + [""] * len(labels)
        rationales = [str(r) for r in version.rationales] + [""] * len(labels)
        index = version.answer_index
        return cls(
            key=key,
            subdomain=version.subdomain,
            difficulty=version.difficulty,
            stem=version.stem,
            options=tuple(options[: len(labels)]),
            rationales=tuple(rationales[: len(labels)]),
            answer=labels[index] if 0 <= index < len(labels) else "",
            references=tuple(str(r) for r in version.references),
            enemies=tuple(str(e) for e in version.enemies),
            as_of=version.as_of.isoformat() if version.as_of is not None else "",
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
        super().__init__(f"{key} has {counted(len(self.findings), 'lint error')}: {listed}")


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


def _labelled(values: Sequence[str]) -> dict[str, str]:
    return dict(zip(DRAFT_LABELS, values, strict=False))


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
            **({"as_of": data.as_of.strip()} if data.as_of.strip() else {}),
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
        if key != record.key and version.status != VersionStatus.RETIRED
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


def valid_record(session: Session, data: ItemInput, *, editing: str | None = None) -> ItemRecord:
    """The editor's values as a record, or ItemInvalid with every problem by field."""
    record, problems = validate_input(session, data, editing=editing)
    if record is None:
        raise ItemInvalid(problems)
    return record


def changed_fields(version: QuestionVersion, record: ItemRecord) -> list[str]:
    """The editor fields whose content differs between a stored version and a record."""
    old = ItemInput.from_version(record.key, version)
    changed: list[str] = []
    for name in ("subdomain", "difficulty", "stem"):
        if getattr(old, name) != getattr(record, name):
            changed.append(name)
    labels = option_labels(max(len(old.options), len(record.options)))

    def differs(before: Sequence[str], after: Sequence[str], i: int) -> bool:
        return (before[i] if i < len(before) else "") != (after[i] if i < len(after) else "")

    changed += [
        f"options.{lb}" for i, lb in enumerate(labels) if differs(old.options, record.options, i)
    ]
    if old.answer != record.answer_label:
        changed.append("answer")
    changed += [
        f"rationale.{lb}"
        for i, lb in enumerate(labels)
        if differs(old.rationales, record.rationales, i)
    ]
    if tuple(old.references) != record.references:
        changed.append("references")
    if sorted(old.enemies) != sorted(record.enemies):
        changed.append("enemies")
    if old.as_of != (record.as_of.isoformat() if record.as_of is not None else ""):
        changed.append("as_of")
    return changed


def version_token(version: QuestionVersion) -> str:
    """A version's number and content hash: changes whenever anyone saves it."""
    return f"{version.number}:{version.content_hash}"


def base_token(question: Question) -> str:
    """What the editor sends back so a save can tell whether someone saved in between."""
    return version_token(newest_of(question))
