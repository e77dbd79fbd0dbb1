"""Starting study sessions: a drill from the weakest sub-domains, a review of due items."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.drills import DrillError, build_drill, posteriors
from exam_engine.domain.plurals import plural
from exam_engine.domain.scheduling import due_cutoff
from exam_engine.domain.vocabulary import AttemptKind, AttemptStatus, Mode, VersionStatus
from exam_engine.domain.weak_areas import assess
from exam_engine.models import Attempt, AttemptItem, QuestionVersion, ReviewCard
from exam_engine.services import attempts
from exam_engine.services.catalog import blueprint_named, bundled_blueprint
from exam_engine.services.errors import Conflict, ValidationFailed
from exam_engine.services.pool import published_bank
from exam_engine.services.study.observations import (
    all_seen_counts,
    measured_rows,
    observation,
)
from exam_engine.services.study.queue import record_outcomes
from exam_engine.services.study.templates import (
    DRILL_TEMPLATE,
    REVIEW_TEMPLATE,
    ensure_template,
)
from exam_engine.services.transaction import in_transaction, retry_on_race, transaction


def check_subdomains(blueprint: Blueprint, subdomains: Sequence[str]) -> list[str]:
    """Return the requested codes, or raise naming the unknown ones."""
    codes = list(dict.fromkeys(subdomains))
    unknown = [c for c in codes if c not in blueprint.subdomain_codes]
    if unknown:
        raise ValidationFailed(
            f"subdomains: unknown {plural(len(unknown), 'sub-domain')} "
            f"{', '.join(map(repr, unknown))}; "
            f"known: {', '.join(blueprint.subdomain_codes)}"
        )
    return codes


def practice_attempt(
    user_id: int, template_id: int, seed: int, kind: AttemptKind, now: datetime
) -> Attempt:
    """A new untimed practice attempt (a drill or a review session), not yet added."""
    return Attempt(
        user_id=user_id,
        template_id=template_id,
        seed=seed,
        mode=Mode.PRACTICE,
        kind=kind,
        status=AttemptStatus.IN_PROGRESS,
        started_at=now,
        deadline_at=None,
    )


def new_weak_area_drill(
    session: Session,
    user_id: int,
    *,
    now: datetime,
    seed: int | None = None,
    subdomains: Sequence[str] = (),
) -> Attempt:
    """Build a drill from the user's weakest sub-domains and add it, in the caller's transaction.

    Creates the hidden drill template on first use: run the caller with ``retry_on_race``.
    """
    requested = check_subdomains(bundled_blueprint(), subdomains)
    # Queued behind any start of a mock, so that each sees the other's questions to leave out.
    attempts.lock_user(session, user_id)
    template = ensure_template(session, DRILL_TEMPLATE)
    blueprint = blueprint_named(template.blueprint)
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    # The target does not move the posteriors.
    current = assess((observation(r) for r in measured_rows(session, user_id)), blueprint)
    bank = published_bank(session)
    try:
        drill = build_drill(
            bank.index,
            posteriors(current, blueprint),
            item_count=template.item_count,
            seed=seed,
            seen=all_seen_counts(session, user_id),
            subdomains=requested,
            exclude=attempts.open_mock_keys(session, user_id),
        )
    except DrillError as error:
        raise Conflict(f"template {DRILL_TEMPLATE!r}: {error}") from error
    attempt = practice_attempt(user_id, template.id, seed, AttemptKind.DRILL, now)
    return attempts.add_form(session, attempt, drill.items, bank.question_of)


# Starts a practice drill from the user's weakest sub-domains (committed); ``subdomains``
# limits it to those codes (empty: all of them).
start_weak_area_drill = in_transaction(new_weak_area_drill, keep_loaded=True, retry_races=True)


def published_versions() -> Any:
    """Subquery: the newest published version id of each question."""
    return (
        select(
            QuestionVersion.question_id.label("question_id"),
            func.max(QuestionVersion.id).label("version_id"),
        )
        .where(QuestionVersion.status == VersionStatus.PUBLISHED)
        .group_by(QuestionVersion.question_id)
        .subquery()
    )


def open_review(session: Session, user_id: int) -> Attempt | None:
    """The user's newest review attempt still in progress, if any."""
    return session.scalar(
        select(Attempt)
        .where(
            Attempt.user_id == user_id,
            Attempt.kind == AttemptKind.REVIEW,
            Attempt.status == AttemptStatus.IN_PROGRESS,
        )
        .order_by(Attempt.id.desc())
        .limit(1)
    )


def _first_unanswered(attempt: Attempt) -> int | None:
    return next((item.position for item in attempt.items if item.choice is None), None)


def start_review(
    session: Session,
    user_id: int,
    *,
    now: datetime,
    seed: int | None = None,
    grace_seconds: int = 30,
) -> tuple[Attempt, int]:
    """Resume the open review session, or start one over today's due items (committed).

    Returns the attempt and the position to show. A review session whose items are all
    answered is submitted first. Raises Conflict when nothing is due today.
    """
    record_outcomes(session, user_id, now=now)
    current = open_review(session, user_id)
    if current is not None:
        position = _first_unanswered(current)
        if position is not None:
            return current, position
        attempts.submit_attempt(session, user_id, current.id, now=now, grace_seconds=grace_seconds)
        record_outcomes(session, user_id, now=now)
    return retry_on_race(lambda: _new_review(session, user_id, now=now, seed=seed))


def _new_review(
    session: Session, user_id: int, *, now: datetime, seed: int | None
) -> tuple[Attempt, int]:
    with transaction(session):
        # Queued behind any start of a mock, so that each sees the other's questions.
        attempts.lock_user(session, user_id)
        template = ensure_template(session, REVIEW_TEMPLATE)
        latest = published_versions()
        rows = session.execute(
            select(ReviewCard.question_id, latest.c.version_id)
            .join(latest, latest.c.question_id == ReviewCard.question_id)
            .where(
                ReviewCard.user_id == user_id,
                ReviewCard.due_at < due_cutoff(now),
                # Feedback would give away the key of a mock still running: it waits for later.
                ReviewCard.question_id.not_in(attempts.open_mock_questions(user_id)),
            )
            .order_by(ReviewCard.due_at, ReviewCard.id)
            .limit(template.item_count)
        ).all()
        if not rows:
            raise Conflict("nothing is due for review today")
        if seed is None:
            seed = random.SystemRandom().randrange(2**31)
        rng = random.Random(seed)
        order = list(rows)
        rng.shuffle(order)
        attempt = practice_attempt(user_id, template.id, seed, AttemptKind.REVIEW, now)
        items = []
        for position, (question_id, version_id) in enumerate(order, start=1):
            options = list(range(4))
            rng.shuffle(options)
            items.append(
                AttemptItem(
                    position=position,
                    question_id=question_id,
                    question_version_id=version_id,
                    option_order=options,
                )
            )
        attempt.items = items
        session.add(attempt)
    return attempt, 1
