"""The authoring use cases: create, save a draft, submit, publish, send back, retire.

Which moves exist is the domain's state machine (``domain.workflow``); this module adds who may
make them, the versions they touch and the audit trail. Each use case is one transaction
that also writes its audit event. Only someone other than the version's author (or an admin)
publishes it, and nothing with lint errors goes to review or publication.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from exam_engine.domain.drafts import is_provisional
from exam_engine.domain.vocabulary import Role, VersionStatus
from exam_engine.domain.workflow import (
    Step,
    TransitionRefused,
    advance,
    edit_makes_new_version,
    status_after_edit,
)
from exam_engine.models import Question, QuestionVersion, User
from exam_engine.services import audit, jobs
from exam_engine.services.authoring.completeness import require_complete
from exam_engine.services.authoring.editor import (
    ItemInput,
    LintErrors,
    changed_fields,
    lint_record,
    next_free_key,
    valid_record,
    version_token,
)
from exam_engine.services.authoring.reading import get_question, live_of, load_user, newest_of
from exam_engine.services.bank import version_record, version_values
from exam_engine.services.errors import Conflict, Forbidden, ValidationFailed
from exam_engine.services.jobs import names
from exam_engine.services.transaction import transaction

OBJECT_TYPE = "question"


def _race(what: str) -> str:
    return f"{what} at the same moment; reload and try again"


def _record(
    session: Session,
    user_id: int,
    action: str,
    key: str,
    summary: str,
    now: datetime,
    **details: Any,
) -> None:
    audit.record(session, user_id, action, OBJECT_TYPE, key, summary, at=now, details=details)


def _step(key: str, version: QuestionVersion, step: Step) -> VersionStatus:
    """The version's status after ``step``, or a Conflict that names the version."""
    try:
        return advance(version.status, step)
    except TransitionRefused as refused:
        raise Conflict(f"{key} v{version.number} is {refused}") from None


def create_question(
    session: Session, user_id: int, data: ItemInput, *, now: datetime
) -> QuestionVersion:
    """Create a question and its first version, as a draft by ``user_id``."""
    with transaction(session, conflict=_race(f"someone else created {data.key.strip()!r}")):
        record = valid_record(session, data)
        question = Question(key=record.key, created_at=now)
        version = QuestionVersion(
            question=question,
            number=1,
            status=VersionStatus.DRAFT,
            author_id=user_id,
            created_at=now,
            **version_values(record),
        )
        session.add(version)
        _record(
            session,
            user_id,
            "create",
            record.key,
            f"Created {record.key} v1 (draft) in {record.subdomain}",
            now,
            version=1,
        )
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
    user_id: int,
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
    with transaction(session, conflict=_race(f"someone else changed {key}")):
        question = get_question(session, key, lock=True)
        current = newest_of(question)
        if base is not None and base != version_token(current):
            raise Conflict(
                f"{key} was changed by someone else since you opened it (now v{current.number}, "
                f"{current.status}); reload the editor to see their version"
            )
        rekeyed = key
        if is_provisional(key) and data.subdomain.strip():
            # A draft imported without a sub-domain gets its real key once it has one.
            rekeyed = next_free_key(session, data.subdomain.strip())
            data = replace(data, key=rekeyed)
        record = valid_record(session, data, editing=rekeyed)
        if rekeyed != key:
            question.key = rekeyed
            key = rekeyed
        content = version_values(record)
        content["source_ref"] = current.source_ref
        content["content_hash"] = replace(record, source_ref=current.source_ref).content_hash()
        fields = tuple(changed_fields(current, record))
        if not fields and current.content_hash == content["content_hash"]:
            return SaveResult(current, changed=False, new_version=False)
        if edit_makes_new_version(current.status):
            version = QuestionVersion(
                question=question,
                number=current.number + 1,
                status=status_after_edit(current.status),
                author_id=user_id,
                created_at=now,
                source_feedback=current.source_feedback,
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
            version.author_id = user_id
            version.status = status_after_edit(was)
            version.submitted_at = None
            new_version = False
            summary = f"Edited draft {key} v{version.number}; changed {', '.join(fields)}"
            if was == VersionStatus.IN_REVIEW:
                summary += " (withdrawn from review)"
            action = "edit"
        _record(
            session,
            user_id,
            action,
            key,
            summary,
            now,
            version=version.number,
            fields=list(fields),
        )
    return SaveResult(version, changed=True, new_version=new_version, fields=fields)


def _require_lint_clean(session: Session, key: str, version: QuestionVersion) -> None:
    errors = [f for f in lint_record(session, version_record(key, version)) if f.level == "error"]
    if errors:
        raise LintErrors(key, errors)


def submit_for_review(
    session: Session, user_id: int, key: str, *, now: datetime
) -> QuestionVersion:
    """Send the newest version, a draft without lint errors, to review."""
    with transaction(session, conflict=_race(f"someone else changed {key}")):
        question = get_question(session, key, lock=True)
        version = newest_of(question)
        target = _step(key, version, Step.SUBMIT)
        require_complete(key, version)
        _require_lint_clean(session, key, version)
        version.status = target
        version.submitted_at = now
        version.review_note = ""
        _record(
            session,
            user_id,
            "submit",
            key,
            f"Sent {key} v{version.number} to review",
            now,
            version=version.number,
        )
    return version


def can_publish(user: User, version: QuestionVersion) -> bool:
    """Whether this user may publish the version: a reviewer other than its author, or an admin."""
    return user.role == Role.ADMIN or (
        user.has_role(Role.INSTRUCTOR) and version.author_id != user.id
    )


def publish(session: Session, user_id: int, key: str, *, now: datetime) -> QuestionVersion:
    """Publish the version in review; the previously published version is retired."""
    with transaction(session, conflict=_race(f"someone else changed {key}")):
        actor = load_user(session, user_id)
        question = get_question(session, key, lock=True)
        version = newest_of(question)
        target = _step(key, version, Step.PUBLISH)
        if not can_publish(actor, version):
            raise Forbidden(
                f"you wrote {key} v{version.number}; another instructor must review and publish it"
            )
        require_complete(key, version)
        _require_lint_clean(session, key, version)
        retired = []
        for other in question.versions:
            if other is not version and other.status == VersionStatus.PUBLISHED:
                other.status = advance(other.status, Step.RETIRE)
                other.retired_at = now
                retired.append(other.number)
        version.status = target
        version.published_at = now
        version.reviewer_id = actor.id
        summary = f"Published {key} v{version.number}"
        if retired:
            summary += f"; retired v{', v'.join(map(str, retired))}"
        _record(
            session,
            user_id,
            "publish",
            key,
            summary,
            now,
            version=version.number,
            retired=retired,
        )
    jobs.enqueue(session, names.REFRESH_FORMS, user_id=user_id, remake_all=False)
    return version


def return_to_draft(
    session: Session, user_id: int, key: str, note: str, *, now: datetime
) -> QuestionVersion:
    """Send a version in review back to draft with the reviewer's note."""
    note = note.strip()
    if not note:
        raise ValidationFailed("note: say what the author should change")
    with transaction(session, conflict=_race(f"someone else changed {key}")):
        question = get_question(session, key, lock=True)
        version = newest_of(question)
        version.status = _step(key, version, Step.RETURN)
        version.submitted_at = None
        version.review_note = note
        if user_id != version.author_id:
            version.reviewer_id = user_id
        _record(
            session,
            user_id,
            "return",
            key,
            f"Sent {key} v{version.number} back to draft: {note}",
            now,
            version=version.number,
            note=note,
        )
    return version


def retire(session: Session, user_id: int, key: str, *, now: datetime) -> QuestionVersion:
    """Retire the published version: new exams stop drawing the question."""
    with transaction(session, conflict=_race(f"someone else changed {key}")):
        question = get_question(session, key, lock=True)
        version = live_of(question)
        if version is None:
            raise Conflict(f"{key} has no published version to retire")
        version.status = _step(key, version, Step.RETIRE)
        version.retired_at = now
        _record(
            session,
            user_id,
            "retire",
            key,
            f"Retired {key} v{version.number}",
            now,
            version=version.number,
        )
    jobs.enqueue(session, names.REFRESH_FORMS, user_id=user_id, remake_all=False)
    return version
