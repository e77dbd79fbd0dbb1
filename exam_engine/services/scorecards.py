"""Scorecards: what the result pages and the result API show about a candidate's attempts.

A scorecard is read-only: it takes the grade cached at finalize (graded against the versions
the attempt showed), the candidate's standing pooled from first exposures in their finished
mocks, the readiness estimate, and the attempt's pacing. An attempt's scorecard pools the
mocks finished up to that attempt, so it reads the same later; the history page pools all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.charts import Bar, Series, interval_bars, trend_lines
from exam_engine.domain.grading import Score
from exam_engine.domain.pacing import Pacing, measure_pacing
from exam_engine.domain.readiness import ESTIMATE_LABEL, Readiness, estimate_readiness
from exam_engine.domain.readiness import scaled_estimate as to_scaled
from exam_engine.domain.weak_areas import Observation, Standing, SubdomainStanding, assess
from exam_engine.models import Attempt, AttemptItem, ExamTemplate, Question, QuestionVersion
from exam_engine.services import attempts
from exam_engine.services.attempt_views import feedback_for, item_view
from exam_engine.services.catalog import blueprint_named, bundled_blueprint
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed

DEFAULT_FORM_SIZE = 90


class AttemptInProgress(Conflict):
    """The attempt is not finished, so it has no results yet."""


@dataclass(frozen=True)
class ScoreLine:
    """A domain's or sub-domain's score in one attempt, with its blueprint title."""

    code: str
    title: str
    domain: str
    score: Score


@dataclass(frozen=True)
class StandingLine:
    """A sub-domain's pooled standing with its blueprint title."""

    title: str
    standing: SubdomainStanding

    @property
    def code(self) -> str:
        """Return the sub-domain code."""
        return self.standing.code

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {**self.standing.to_dict(), "title": self.title}


@dataclass(frozen=True)
class DrillSuggestion:
    """The drill to take next: the domain drill of the weakest sub-domain's domain."""

    template: str
    template_title: str
    subdomain: str
    subdomain_title: str
    domain: str
    domain_title: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "template": self.template,
            "template_title": self.template_title,
            "subdomain": self.subdomain,
            "subdomain_title": self.subdomain_title,
            "domain": self.domain,
            "domain_title": self.domain_title,
            "status": self.status,
        }


@dataclass(frozen=True)
class Outlook:
    """Weak areas, readiness and the next drill, pooled across finished mocks."""

    mocks: int
    standing: Standing
    lines: tuple[StandingLine, ...]
    weak_areas: tuple[StandingLine, ...]
    readiness: Readiness | None
    next_drill: DrillSuggestion | None
    form_size: int

    @property
    def target(self) -> float:
        """Return the target rate (0-1) the standing was judged against."""
        return self.standing.target

    def line(self, code: str) -> StandingLine | None:
        """Return the standing of one sub-domain, or None when the blueprint lacks it."""
        return next((line for line in self.lines if line.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "mocks": self.mocks,
            "items": self.standing.total,
            "correct": self.standing.correct,
            "target": self.target,
            "form_size": self.form_size,
            "subdomains": [line.to_dict() for line in self.lines],
            "weak_areas": [line.to_dict() for line in self.weak_areas],
            "next_drill": self.next_drill.to_dict() if self.next_drill else None,
            "readiness": self.readiness.to_dict() if self.readiness else None,
        }


@dataclass(frozen=True)
class Scorecard:
    """Everything the scorecard page and the result API show for one finished attempt."""

    attempt_id: int
    title: str
    template: str
    kind: str
    mode: str
    status: str
    started_at: datetime
    submitted_at: datetime
    score: Score
    domains: tuple[ScoreLine, ...]
    subdomains: tuple[ScoreLine, ...]
    answered: int
    unanswered_positions: tuple[int, ...]
    flagged_positions: tuple[int, ...]
    scaled_estimate: int
    outlook: Outlook
    pacing: Pacing | None
    elapsed_seconds: float
    domain_chart: str
    estimate_label: str = ESTIMATE_LABEL

    @property
    def items(self) -> int:
        """Return how many items the attempt had."""
        return self.score.total

    @property
    def seconds_per_answered(self) -> float | None:
        """Return elapsed seconds per answered item (timed or not), None if none answered."""
        return self.elapsed_seconds / self.answered if self.answered else None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON result of the attempt."""

        def lines(values: Iterable[ScoreLine]) -> dict[str, Any]:
            return {
                line.code: {**line.score.to_dict(), "title": line.title, "domain": line.domain}
                for line in values
            }

        readiness = self.outlook.readiness
        return {
            "id": self.attempt_id,
            "template": self.template,
            "title": self.title,
            "kind": self.kind,
            "mode": self.mode,
            "status": self.status,
            "started_at": _iso(self.started_at),
            "submitted_at": _iso(self.submitted_at),
            "score": self.score.to_dict(),
            "by_domain": lines(self.domains),
            "by_subdomain": lines(self.subdomains),
            "answered": self.answered,
            "unanswered_positions": list(self.unanswered_positions),
            "flagged_positions": list(self.flagged_positions),
            "weak_areas": [line.to_dict() for line in self.outlook.weak_areas],
            "next_drill": self.outlook.next_drill.to_dict() if self.outlook.next_drill else None,
            "pass_probability": readiness.pass_probability if readiness else None,
            "scaled_estimate": self.scaled_estimate,
            "estimate_label": self.estimate_label,
            "outlook": self.outlook.to_dict(),
            "pacing": self.pacing.to_dict() if self.pacing else None,
            "elapsed_seconds": self.elapsed_seconds,
        }


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

    @property
    def answered(self) -> bool:
        """Return whether the candidate chose an option."""
        return self.choice is not None


@dataclass(frozen=True)
class ReviewFilter:
    """Which items a review shows; None / False means no restriction."""

    domain: str | None = None
    subdomain: str | None = None
    wrong_only: bool = False
    flagged_only: bool = False

    @property
    def active(self) -> bool:
        """Return whether any restriction is set."""
        return bool(self.domain or self.subdomain or self.wrong_only or self.flagged_only)

    def keeps(self, item: ReviewItem) -> bool:
        """Return whether the item passes every restriction."""
        return (
            (self.domain is None or item.domain == self.domain)
            and (self.subdomain is None or item.subdomain == self.subdomain)
            and (not self.wrong_only or not item.correct)
            and (not self.flagged_only or item.flagged)
        )


@dataclass(frozen=True)
class Review:
    """A finished attempt's items (filtered), with what the filter form offers."""

    attempt_id: int
    title: str
    status: str
    submitted_at: datetime
    items: tuple[ReviewItem, ...]
    total: int
    wrong: int
    flagged: int
    domains: tuple[tuple[str, str], ...]
    subdomains: tuple[tuple[str, str, str], ...]
    filters: ReviewFilter


@dataclass(frozen=True)
class HistoryEntry:
    """One attempt in the history list."""

    attempt_id: int
    title: str
    template: str
    kind: str
    mode: str
    status: str
    started_at: datetime
    submitted_at: datetime | None
    score: Score | None
    by_domain: dict[str, Score] = field(default_factory=dict)

    @property
    def scaled_estimate(self) -> int | None:
        """Return this engine's scaled estimate of the score (None when unfinished)."""
        return to_scaled(self.score.percent) if self.score else None


@dataclass(frozen=True)
class History:
    """A candidate's mocks (oldest first), other attempts, trend chart and current outlook."""

    mocks: tuple[HistoryEntry, ...]
    others: tuple[HistoryEntry, ...]
    domains: tuple[tuple[str, str], ...]
    outlook: Outlook
    trend_chart: str | None
    trend_chart_narrow: str | None
    estimate_label: str = ESTIMATE_LABEL


def _iso(moment: datetime | None) -> str | None:
    """Return ISO 8601 in UTC with a Z."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _score(data: dict[str, Any]) -> Score:
    """Rebuild a Score from its cached JSON form."""
    low, high = data["ci"]
    return Score(int(data["correct"]), int(data["total"]), float(data["percent"]), (low, high))


def _title(blueprint: Blueprint, code: str) -> str:
    """Return a domain's or sub-domain's title, or the code when the blueprint lacks it."""
    for domain in blueprint.domains:
        if domain.code == code:
            return domain.title
        for sub in domain.subdomains:
            if sub.code == code:
                return sub.title
    return code


def _domain_of(blueprint: Blueprint, subdomain: str) -> str:
    """Return the domain code of a sub-domain (by blueprint, else by the code's prefix)."""
    for domain in blueprint.domains:
        if any(sub.code == subdomain for sub in domain.subdomains):
            return domain.code
    return subdomain.split("-", 1)[0]


def form_size(blueprint: Blueprint) -> int:
    """Return the size of the blueprint's full exam form (its largest timed template)."""
    return max(
        (t.item_count for t in blueprint.templates if t.mode == "exam"), default=DEFAULT_FORM_SIZE
    )


def mock_observations(
    session: Session, user_id: int, *, until: datetime | None = None
) -> tuple[list[Observation], int]:
    """Return every item of the user's finished mocks (up to ``until``) and how many mocks."""
    mocks = select(Attempt.id, Attempt.started_at).where(
        Attempt.user_id == user_id,
        Attempt.kind == "mock",
        # Untimed practice shows the key after each answer: never pooled as a mock.
        Attempt.mode == "exam",
        Attempt.status.in_(attempts.FINISHED),
    )
    if until is not None:
        mocks = mocks.where(Attempt.submitted_at <= until)
    started = dict(session.execute(mocks).tuples().all())
    if not started:
        return [], 0
    # Core rows on the session's connection, no ORM loading: this runs on every scorecard,
    # over every item of every finished mock.
    rows = session.connection().execute(
        select(
            AttemptItem.attempt_id,
            Question.key,
            QuestionVersion.domain,
            QuestionVersion.subdomain,
            AttemptItem.choice,
            QuestionVersion.answer_index,
        )
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .join(Question, Question.id == AttemptItem.question_id)
        .where(AttemptItem.attempt_id.in_(list(started)))
    )
    observations = [
        Observation(key, domain, subdomain, choice is not None and choice == answer, started[aid])
        for aid, key, domain, subdomain, choice, answer in rows
    ]
    return observations, len(started)


def domain_drill(session: Session, domain: str) -> tuple[str, str] | None:
    """Return (name, title) of the active practice template that drills exactly one domain."""
    rows = session.execute(
        select(
            ExamTemplate.name,
            ExamTemplate.title,
            ExamTemplate.domain_weights,
            ExamTemplate.subdomains,
        ).where(ExamTemplate.is_active, ExamTemplate.mode == "practice")
    ).tuples()
    matches = sorted(
        (name, title)
        for name, title, weights, subdomains in rows
        if not subdomains
        and {code for code, weight in (weights or {}).items() if weight} == {domain}
    )
    # Prefer the bundled naming (drill-d1) when several templates drill the same domain.
    matches.sort(key=lambda match: match[0] != f"drill-{domain.lower()}")
    return matches[0] if matches else None


def outlook(
    session: Session,
    user_id: int,
    blueprint: Blueprint,
    *,
    target: float,
    until: datetime | None = None,
) -> Outlook:
    """Assess the user's standing, readiness and next drill from their finished mocks."""
    observations, mocks = mock_observations(session, user_id, until=until)
    standing = assess(observations, blueprint, target=target)
    size = form_size(blueprint)
    lines = tuple(StandingLine(_title(blueprint, s.code), s) for s in standing.standings)
    by_code = {line.code: line for line in lines}
    suggestion = None
    for code in standing.next_drill:
        domain = _domain_of(blueprint, code)
        drill = domain_drill(session, domain)
        if drill is not None:
            suggestion = DrillSuggestion(
                template=drill[0],
                template_title=drill[1],
                subdomain=code,
                subdomain_title=_title(blueprint, code),
                domain=domain,
                domain_title=_title(blueprint, domain),
                status=by_code[code].standing.status,
            )
            break
    return Outlook(
        mocks=mocks,
        standing=standing,
        lines=lines,
        weak_areas=tuple(by_code[s.code] for s in standing.weak_areas),
        readiness=estimate_readiness(
            standing.correct, standing.total, target=target, form_size=size
        ),
        next_drill=suggestion,
        form_size=size,
    )


def finished_attempt(
    session: Session, user_id: int, attempt_id: int, *, now: datetime, grace_seconds: int
) -> Attempt:
    """Return the user's attempt, finalized if its time is up; Conflict while in progress."""
    # The template comes in the same query: every results page shows its title.
    attempt = session.scalar(
        select(Attempt)
        .where(Attempt.id == attempt_id, Attempt.user_id == user_id)
        .options(joinedload(Attempt.template))
    )
    if attempt is None:
        raise NotFound(f"attempt {attempt_id} not found")
    attempts.touch(session, attempt, now, grace_seconds)
    if attempt.status == "in_progress":
        raise AttemptInProgress(
            f"attempt {attempt_id} is still in progress: its results open once it is submitted"
        )
    return attempt


def _domain_chart(domains: Sequence[ScoreLine], score: Score, target: float) -> str:
    """Return the per-domain bar chart of one attempt."""
    return interval_bars(
        [
            Bar(
                label=f"{line.code} {line.title}",
                value=line.score.percent,
                low=line.score.ci[0],
                high=line.score.ci[1],
                note=f"{line.score.correct} of {line.score.total} correct",
            )
            for line in domains
        ],
        chart_id="domain-chart",
        title="Percent correct by domain, with 95% intervals",
        summary=(
            f"Overall {score.correct} of {score.total} correct ({score.percent:.0f}%). "
            "Bars show percent correct; whiskers show the 95% Wilson interval."
        ),
        target=100.0 * target,
    )


def build_scorecard(
    session: Session,
    user_id: int,
    attempt_id: int,
    *,
    now: datetime,
    grace_seconds: int,
    target: float,
) -> Scorecard:
    """Assemble the scorecard of the user's finished attempt (Conflict while in progress)."""
    attempt = finished_attempt(session, user_id, attempt_id, now=now, grace_seconds=grace_seconds)
    template = attempt.template
    blueprint = blueprint_named(template.blueprint)
    result = attempt.result or attempts.grade_attempt(session, attempt)
    assert attempt.submitted_at is not None  # finished attempts always have one
    domains = tuple(
        ScoreLine(code, _title(blueprint, code), code, _score(data))
        for code, data in result["by_domain"].items()
    )
    subdomains = tuple(
        ScoreLine(code, _title(blueprint, code), _domain_of(blueprint, code), _score(data))
        for code, data in result["by_subdomain"].items()
    )
    score = _score(result["score"])
    answered = int(result["answered"])
    elapsed = max(0.0, (attempt.submitted_at - attempt.started_at).total_seconds())
    pacing = None
    if attempt.deadline_at is not None and score.total:
        pacing = measure_pacing(
            attempt.started_at,
            attempt.submitted_at,
            items=score.total,
            answered=answered,
            deadline=attempt.deadline_at,
        )
        elapsed = pacing.used_seconds
    return Scorecard(
        attempt_id=attempt.id,
        title=template.title,
        template=template.name,
        kind=attempt.kind,
        mode=attempt.mode,
        status=attempt.status,
        started_at=attempt.started_at,
        submitted_at=attempt.submitted_at,
        score=score,
        domains=domains,
        subdomains=subdomains,
        answered=answered,
        unanswered_positions=tuple(result["unanswered_positions"]),
        flagged_positions=tuple(result["flagged_positions"]),
        scaled_estimate=to_scaled(score.percent, target=target),
        outlook=outlook(session, user_id, blueprint, target=target, until=attempt.submitted_at),
        pacing=pacing,
        elapsed_seconds=elapsed,
        domain_chart=_domain_chart(domains, score, target) if domains else "",
    )


def _check_code(name: str, value: str | None, known: Sequence[str]) -> None:
    """Raise ValidationFailed when a filter names a code that is not offered."""
    if value is not None and value not in known:
        raise ValidationFailed(
            f"{name}: {value!r} is not one of this exam's {name}s ({', '.join(known) or 'none'})"
        )


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
                subdomain_title=_title(blueprint, version.subdomain),
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
            )
        )
    order = {code: i for i, code in enumerate(blueprint.subdomain_codes)}
    present_subs = sorted({i.subdomain for i in items}, key=lambda c: (order.get(c, 999), c))
    present_domains = sorted({i.domain for i in items}, key=lambda c: (c not in order, c))
    _check_code("domain", filters.domain, present_domains)
    _check_code("subdomain", filters.subdomain, present_subs)
    if filters.domain and filters.subdomain:
        owner = _domain_of(blueprint, filters.subdomain)
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
        total=len(items),
        wrong=sum(not item.correct for item in items),
        flagged=sum(item.flagged for item in items),
        domains=tuple((code, _title(blueprint, code)) for code in present_domains),
        subdomains=tuple(
            (code, _domain_of(blueprint, code), _title(blueprint, code)) for code in present_subs
        ),
        filters=filters,
    )


def _entry(attempt: Attempt) -> HistoryEntry:
    """Turn an attempt row into a history entry."""
    result = attempt.result or {}
    return HistoryEntry(
        attempt_id=attempt.id,
        title=attempt.template.title,
        template=attempt.template.name,
        kind=attempt.kind,
        mode=attempt.mode,
        status=attempt.status,
        started_at=attempt.started_at,
        submitted_at=attempt.submitted_at,
        score=_score(result["score"]) if "score" in result else None,
        by_domain={code: _score(data) for code, data in result.get("by_domain", {}).items()},
    )


def _trend_chart(
    mocks: Sequence[HistoryEntry], blueprint: Blueprint, target: float, *, narrow: bool = False
) -> str:
    """Return the per-domain trend line chart over the mocks, oldest first.

    ``narrow`` draws it for phone widths (the page shows one or the other with CSS).
    """
    series = [
        Series(
            label=domain.code,
            values=tuple(
                m.by_domain[domain.code].percent if domain.code in m.by_domain else None
                for m in mocks
            ),
        )
        for domain in blueprint.domains
    ]
    series.append(Series("Overall", tuple(m.score.percent if m.score else None for m in mocks)))
    labels = [
        f"{m.submitted_at.day} {m.submitted_at:%b}" if m.submitted_at else f"#{i}"
        for i, m in enumerate(mocks, start=1)
    ]
    names = "; ".join(f"{d.code} is {d.title}" for d in blueprint.domains)
    return trend_lines(
        series,
        labels,
        chart_id="trend-chart-narrow" if narrow else "trend-chart",
        title="Percent correct per domain across your mocks",
        summary=f"{len(mocks)} finished mocks, oldest first. {names}.",
        target=100.0 * target,
        width=360 if narrow else 640,
        height=280 if narrow else 300,
        css_class="chart-narrow" if narrow else "chart-wide",
    )


def build_history(session: Session, user_id: int, *, target: float) -> History:
    """Return the user's mocks with a per-domain trend, other attempts, and current outlook."""
    blueprint = bundled_blueprint()
    rows = session.scalars(
        select(Attempt)
        .where(Attempt.user_id == user_id)
        .options(selectinload(Attempt.template))
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    mocks = [
        _entry(row)
        for row in rows
        if row.kind == "mock"
        and row.mode == "exam"
        and row.status in attempts.FINISHED
        and row.result
    ]
    mocks.sort(key=lambda e: (e.submitted_at or e.started_at, e.attempt_id))
    in_trend = {m.attempt_id for m in mocks}
    others = [_entry(row) for row in reversed(rows) if row.id not in in_trend]
    return History(
        mocks=tuple(mocks),
        others=tuple(others),
        domains=tuple((d.code, d.title) for d in blueprint.domains),
        outlook=outlook(session, user_id, blueprint, target=target),
        trend_chart=_trend_chart(mocks, blueprint, target) if mocks else None,
        trend_chart_narrow=_trend_chart(mocks, blueprint, target, narrow=True) if mocks else None,
    )
