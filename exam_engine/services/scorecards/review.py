"""The answer review of a finished attempt: every item as shown, with its key and rationales."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.question_time import seconds_per_position
from exam_engine.domain.vocabulary import ReviewResult
from exam_engine.models import AttemptItem, Response
from exam_engine.services import attempts
from exam_engine.services.attempt_views import feedback_for, item_view
from exam_engine.services.catalog import blueprint_named
from exam_engine.services.errors import ValidationFailed
from exam_engine.services.scorecards.card import finished_attempt
from exam_engine.services.scorecards.outlook import domain_of, title_of


@dataclass(frozen=True)
class ReviewOption:
    """An option as the candidate saw it, with its rationale and what it was."""

    id: str
    text: str
    rationale: str
    is_key: bool
    is_choice: bool


@dataclass(frozen=True)
class ReviewItem:
    """One position of a finished attempt, with the key and every rationale."""

    position: int
    domain: str
    subdomain: str
    subdomain_title: str
    stem: str
    options: tuple[ReviewOption, ...]
    choice: str | None
    key: str
    correct: bool
    flagged: bool
    references: tuple[str, ...]
    seconds: float | None = None

    @property
    def answered(self) -> bool:
        """Return whether the candidate chose an option."""
        return self.choice is not None

    @property
    def result(self) -> ReviewResult:
        """Return correct, wrong or unanswered (flagged is a separate mark)."""
        if not self.answered:
            return ReviewResult.UNANSWERED
        return ReviewResult.CORRECT if self.correct else ReviewResult.WRONG

    def has(self, result: ReviewResult) -> bool:
        """Return whether the item shows this result (flagged included)."""
        return self.flagged if result == ReviewResult.FLAGGED else self.result == result


@dataclass(frozen=True)
class ReviewFilter:
    """Which items a review shows; None / False means no restriction."""

    domain: str | None = None
    subdomain: str | None = None
    wrong_only: bool = False
    flagged_only: bool = False
    result: ReviewResult | None = None
    # Words to find in the stem, case-insensitively (the whole text as one phrase).
    search: str = ""

    @property
    def active(self) -> bool:
        """Return whether any restriction is set."""
        return bool(
            self.domain
            or self.subdomain
            or self.wrong_only
            or self.flagged_only
            or self.result
            or self.search.strip()
        )

    def keeps(self, item: ReviewItem) -> bool:
        """Return whether the item passes every restriction."""
        needle = " ".join(self.search.split()).casefold()
        return (
            (self.domain is None or item.domain == self.domain)
            and (self.subdomain is None or item.subdomain == self.subdomain)
            and (not self.wrong_only or not item.correct)
            and (not self.flagged_only or item.flagged)
            and (self.result is None or item.has(self.result))
            and (not needle or needle in " ".join(item.stem.split()).casefold())
        )


@dataclass(frozen=True)
class Review:
    """A finished attempt's items (filtered), with what the filter form offers."""

    attempt_id: int
    title: str
    status: str
    submitted_at: datetime
    items: tuple[ReviewItem, ...]
    all_items: tuple[ReviewItem, ...]
    total: int
    wrong: int
    flagged: int
    domains: tuple[tuple[str, str], ...]
    subdomains: tuple[tuple[str, str, str], ...]
    filters: ReviewFilter


def _check_code(name: str, value: str | None, known: Sequence[str]) -> None:
    """Raise ValidationFailed when a filter names a code that is not offered."""
    if value is not None and value not in known:
        raise ValidationFailed(
            f"{name}: {value!r} is not one of this exam's {name}s ({', '.join(known) or 'none'})"
        )


def saves_of(session: Session, attempt_id: int) -> list[tuple[int, datetime]]:
    """Every accepted save of the attempt as (position, saved_at)."""
    rows = session.execute(
        select(AttemptItem.position, Response.saved_at)
        .join(AttemptItem, AttemptItem.id == Response.attempt_item_id)
        .where(AttemptItem.attempt_id == attempt_id)
    ).tuples()
    return list(rows)


def build_review(
    session: Session,
    user_id: int,
    attempt_id: int,
    *,
    now: datetime,
    grace_seconds: int,
    filters: ReviewFilter,
) -> Review:
    """Return a finished attempt's items, as shown, with keys and rationales, filtered."""
    attempt = finished_attempt(session, user_id, attempt_id, now=now, grace_seconds=grace_seconds)
    attempt = attempts.load_for_view(session, user_id, attempt_id)
    assert attempt.submitted_at is not None  # finished attempts always have one
    blueprint = blueprint_named(attempt.template.blueprint)
    end = attempt.submitted_at
    if attempt.deadline_at is not None:
        end = min(end, attempt.deadline_at)
    spent = seconds_per_position(
        attempt.started_at, max(end, attempt.started_at), saves_of(session, attempt.id)
    )
    items: list[ReviewItem] = []
    for row in attempt.items:
        view = item_view(attempt, row)
        feedback = view.feedback or feedback_for(row)
        version = row.version
        items.append(
            ReviewItem(
                position=view.position,
                domain=version.domain,
                subdomain=version.subdomain,
                subdomain_title=title_of(blueprint, version.subdomain),
                stem=view.stem,
                options=tuple(
                    ReviewOption(
                        id=option.id,
                        text=option.text,
                        rationale=feedback["rationales"][option.id],
                        is_key=option.id == feedback["key"],
                        is_choice=option.id == view.choice,
                    )
                    for option in view.options
                ),
                choice=view.choice,
                key=feedback["key"],
                correct=bool(feedback["correct"]) and view.choice is not None,
                flagged=view.flagged,
                references=tuple(str(r) for r in feedback["references"]),
                seconds=spent.get(view.position),
            )
        )
    order = {code: i for i, code in enumerate(blueprint.subdomain_codes)}
    present_subs = sorted({i.subdomain for i in items}, key=lambda c: (order.get(c, 999), c))
    present_domains = sorted({i.domain for i in items}, key=lambda c: (c not in order, c))
    _check_code("domain", filters.domain, present_domains)
    _check_code("subdomain", filters.subdomain, present_subs)
    if filters.domain and filters.subdomain:
        owner = domain_of(blueprint, filters.subdomain)
        if owner != filters.domain:
            raise ValidationFailed(
                f"subdomain: {filters.subdomain} belongs to domain {owner}, not {filters.domain}"
            )
    return Review(
        attempt_id=attempt.id,
        title=attempt.template.title,
        status=attempt.status,
        submitted_at=attempt.submitted_at,
        items=tuple(item for item in items if filters.keeps(item)),
        all_items=tuple(items),
        total=len(items),
        wrong=sum(not item.correct for item in items),
        flagged=sum(item.flagged for item in items),
        domains=tuple((code, title_of(blueprint, code)) for code in present_domains),
        subdomains=tuple(
            (code, domain_of(blueprint, code), title_of(blueprint, code)) for code in present_subs
        ),
        filters=filters,
    )
