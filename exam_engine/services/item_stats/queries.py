"""What the item-analysis pages read: scopes and their freshness, item lists, one item's detail."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from exam_engine.domain.item_analysis import FLAG_ORDER
from exam_engine.domain.item_scopes import ALL_TEMPLATES
from exam_engine.domain.vocabulary import FINISHED, AttemptKind
from exam_engine.models import (
    Attempt,
    ExamTemplate,
    ItemStatistic,
    Question,
    QuestionVersion,
    TemplateStatistic,
)
from exam_engine.services.errors import NotFound, ValidationFailed

PER_PAGE = 50
SORTS = ("flags", "key", "subdomain", "responses", "facility", "discrimination")
FLAG_FILTERS = ("", "any", "none", *FLAG_ORDER)
# Flags that say something about the item (too few responses only says "wait").
REVIEW_FLAGS = frozenset(FLAG_ORDER) - {"too-few-responses"}


@dataclass(frozen=True)
class ScopeStatus:
    """When a scope's numbers were computed, whether they are stale, and its test statistics."""

    template: str
    title: str
    computed_at: datetime | None
    stale_since: datetime | None
    new_attempts: int
    attempts: int
    values: dict[str, Any]

    @property
    def computed(self) -> bool:
        """True once a recompute has stored numbers for this scope."""
        return self.computed_at is not None

    @property
    def stale(self) -> bool:
        """True when attempts finished after the numbers were computed (or none were)."""
        return self.stale_since is not None or not self.computed


def list_scopes(session: Session) -> list[tuple[str, str]]:
    """Scopes to choose from: all templates first, then each template (name, title)."""
    rows = session.execute(
        select(ExamTemplate.name, ExamTemplate.title).order_by(ExamTemplate.name)
    )
    return [(ALL_TEMPLATES, "All templates"), *((name, title) for name, title in rows)]


def _check_scope(session: Session, template: str) -> str:
    if template == ALL_TEMPLATES:
        return "All templates"
    title = session.scalar(select(ExamTemplate.title).where(ExamTemplate.name == template))
    if title is None:
        raise NotFound(f"template {template!r} not found")
    return title


def scope_status(session: Session, template: str) -> ScopeStatus:
    """Freshness and test-level values of a scope; NotFound for an unknown template."""
    title = _check_scope(session, template)
    rows = {
        row.template: row
        for row in session.execute(
            select(
                TemplateStatistic.template,
                TemplateStatistic.attempts,
                TemplateStatistic.values,
                TemplateStatistic.computed_at,
                TemplateStatistic.stale_since,
            )
        )
    }
    own = rows.get(template)
    computed_at = own.computed_at if own is not None and own.values else None
    if template == ALL_TEMPLATES:
        marks = [row.stale_since for row in rows.values() if row.stale_since is not None]
    else:
        marks = [own.stale_since] if own is not None and own.stale_since is not None else []
    new_attempts = 0
    if computed_at is not None and marks:
        query = select(func.count(Attempt.id)).where(
            Attempt.kind == AttemptKind.MOCK,
            Attempt.status.in_(FINISHED),
            Attempt.submitted_at > computed_at,
        )
        if template != ALL_TEMPLATES:
            query = query.join(ExamTemplate, ExamTemplate.id == Attempt.template_id).where(
                ExamTemplate.name == template
            )
        new_attempts = session.scalar(query) or 0
    return ScopeStatus(
        template=template,
        title=title,
        computed_at=computed_at,
        stale_since=max(marks) if marks else None,
        new_attempts=new_attempts,
        attempts=own.attempts if own is not None else 0,
        values=dict(own.values) if own is not None and own.values else {},
    )


@dataclass(frozen=True)
class ItemRow:
    """One stored item statistic with the version it describes."""

    version_id: int
    key: str
    number: int
    subdomain: str
    status: str
    template: str
    responses: int
    facility: float | None
    discrimination: float | None
    flags: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        """True when the item has fewer responses than the minimum."""
        return "too-few-responses" in self.flags

    @property
    def review_flags(self) -> tuple[str, ...]:
        """Flags that say something is wrong with the item."""
        return tuple(f for f in self.flags if f in REVIEW_FLAGS)


@dataclass(frozen=True)
class ItemPage:
    """A sorted, filtered page of a scope's items, with counts for the filters."""

    rows: list[ItemRow]
    total: int
    all_items: int
    page: int
    pages: int
    per_page: int
    flag_counts: dict[str, int]
    subdomains: list[str]


def _item_select(*, with_values: bool = False) -> Any:
    """SELECT of stored item rows joined to their version and question key (add a WHERE)."""
    columns = [
        ItemStatistic.question_version_id,
        Question.key,
        QuestionVersion.number,
        QuestionVersion.subdomain,
        QuestionVersion.status,
        ItemStatistic.template,
        ItemStatistic.responses,
        ItemStatistic.facility,
        ItemStatistic.discrimination,
        ItemStatistic.flags,
    ]
    if with_values:
        columns.append(ItemStatistic.values)
    return (
        select(*columns)
        .join(QuestionVersion, QuestionVersion.id == ItemStatistic.question_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
    )


def _row(values: Any) -> ItemRow:
    """An ItemRow from a row of ``_item_select`` (with or without the values column)."""
    vid, key, number, sub, status, template, responses, facility, disc, flags, *rest = values
    extra = dict(rest[0] or {}) if rest else {}
    return ItemRow(
        vid,
        key,
        number,
        sub,
        status,
        template,
        responses,
        facility,
        disc,
        tuple(flags or ()),
        extra,
    )


# Positions in a row of ``_item_select``; the list page works on plain rows and builds
# ItemRow objects only for the page it shows (10,000 dataclasses cost more than the query).
_VID, _KEY, _NUMBER, _SUB, _STATUS, _TEMPLATE, _RESPONSES, _FACILITY, _DISC, _FLAGS = range(10)


def _plain_rows(session: Session, template: str) -> list[tuple[Any, ...]]:
    """A scope's rows as tuples, flags as tuples of codes.

    The flags come back as text and are decoded once per distinct text: a scope of 10,000
    items has only a few dozen flag combinations, and 10,000 json.loads calls were most of
    the page's time.
    """
    query = _item_select().where(ItemStatistic.template == template)
    columns = list(query.selected_columns)
    # CAST, not type_coerce: psycopg would otherwise decode every json value itself.
    columns[_FLAGS] = cast(ItemStatistic.flags, Text).label("flags")
    decoded: dict[str, tuple[str, ...]] = {}
    rows = []
    for row in session.execute(query.with_only_columns(*columns)):
        flags = row[_FLAGS]
        if flags not in decoded:
            decoded[flags] = tuple(json.loads(flags or "[]"))
        rows.append((*row[:_FLAGS], decoded[flags]))
    return rows


def _review_count(row: Any) -> int:
    # Suppressed rows carry "too-few-responses" alone and no facility.
    return 0 if row[_FACILITY] is None else len(row[_FLAGS] or ())


def _sort_key(sort: str) -> Callable[[Any], Any]:
    """Sort key over plain rows; undefined numbers are None (list_items puts them last)."""
    if sort == "key":
        return lambda r: (r[_KEY], r[_NUMBER])
    if sort == "subdomain":
        return lambda r: (r[_SUB], r[_KEY], r[_NUMBER])
    if sort == "responses":
        return lambda r: r[_RESPONSES]
    if sort == "facility":
        return lambda r: r[_FACILITY]
    if sort == "discrimination":
        return lambda r: r[_DISC]
    return _review_count


def _matches_flag(row: Any, flag: str) -> bool:
    if not flag:
        return True
    if flag == "any":
        return _review_count(row) > 0
    if flag == "none":
        return not row[_FLAGS]
    return flag in (row[_FLAGS] or ())


def list_items(
    session: Session,
    template: str = ALL_TEMPLATES,
    *,
    sort: str = "flags",
    descending: bool | None = None,
    flag: str = "",
    subdomain: str = "",
    search: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ItemPage:
    """Return one page of a scope's items, filtered and sorted (stored rows only).

    Sorts: flags (review flags, most first), key, subdomain, responses, facility,
    discrimination; ``descending`` defaults to True for flags and False otherwise. Items
    with too few responses have no facility or discrimination and sort last either way.
    Flag filters: "" (every item), "any" (a review flag), "none" (no flag) or a flag code.
    """
    _check_scope(session, template)
    if sort not in SORTS:
        raise ValidationFailed(f"sort: must be one of {', '.join(SORTS)}, got {sort!r}")
    if flag not in FLAG_FILTERS:
        raise ValidationFailed(f"flag: must be one of {', '.join(FLAG_FILTERS[1:])}, got {flag!r}")
    if page < 1:
        raise ValidationFailed(f"page: must be 1 or more, got {page}")
    if descending is None:
        descending = sort == "flags"
    rows = _plain_rows(session, template)
    flag_counts = Counter(code for row in rows for code in row[_FLAGS] or ())
    flag_counts["any"] = sum(1 for row in rows if _review_count(row))
    flag_counts["none"] = sum(1 for row in rows if not row[_FLAGS])
    subdomains = sorted({row[_SUB] for row in rows})
    needle = search.strip().lower()
    chosen = [
        row
        for row in rows
        if (not subdomain or row[_SUB] == subdomain)
        and (not needle or needle in row[_KEY].lower())
        and _matches_flag(row, flag)
    ]
    key = _sort_key(sort)
    # Ties break on key and version so that pages are stable.
    chosen.sort(key=lambda r: (r[_KEY], r[_NUMBER]))
    defined = [r for r in chosen if key(r) is not None]
    undefined = [r for r in chosen if key(r) is None]
    defined.sort(key=key, reverse=descending)
    ordered = defined + undefined
    pages = max(1, math.ceil(len(ordered) / per_page))
    page = min(page, pages)
    window = ordered[(page - 1) * per_page : page * per_page]
    extra = (
        dict(
            session.execute(
                select(ItemStatistic.question_version_id, ItemStatistic.values).where(
                    ItemStatistic.template == template,
                    ItemStatistic.question_version_id.in_([r[_VID] for r in window]),
                )
            )
            .tuples()
            .all()
        )
        if window
        else {}
    )
    return ItemPage(
        rows=[_row((*r, extra.get(r[_VID]))) for r in window],
        total=len(ordered),
        all_items=len(rows),
        page=page,
        pages=pages,
        per_page=per_page,
        flag_counts=dict(flag_counts),
        subdomains=subdomains,
    )


@dataclass(frozen=True)
class ItemDetail:
    """One version's statistics in a scope, its content, and its other scopes and versions."""

    version: QuestionVersion
    key: str
    latest_number: int
    stat: ItemRow | None
    scopes: list[ItemRow]
    versions: list[ItemRow]


def item_detail(session: Session, version_id: int, template: str = ALL_TEMPLATES) -> ItemDetail:
    """A version's statistics in one scope, plus its rows in every scope and its siblings'."""
    _check_scope(session, template)
    version = session.get(QuestionVersion, version_id)
    if version is None:
        raise NotFound(f"question version {version_id} not found")
    key = session.scalar(select(Question.key).where(Question.id == version.question_id)) or ""
    latest = session.scalar(
        select(func.max(QuestionVersion.number)).where(
            QuestionVersion.question_id == version.question_id
        )
    )
    scopes = [
        _row(r)
        for r in session.execute(
            _item_select(with_values=True)
            .where(ItemStatistic.question_version_id == version_id)
            .order_by(ItemStatistic.template)
        )
    ]
    siblings = [
        _row(r)
        for r in session.execute(
            _item_select()
            .where(
                ItemStatistic.template == ALL_TEMPLATES,
                QuestionVersion.question_id == version.question_id,
            )
            .order_by(QuestionVersion.number)
        )
    ]
    stat = next((row for row in scopes if row.template == template), None)
    return ItemDetail(
        version=version,
        key=key,
        latest_number=latest or version.number,
        stat=stat,
        scopes=scopes,
        versions=siblings,
    )


def export_scope(
    session: Session, template: str = ALL_TEMPLATES, *, flagged: bool = False
) -> dict[str, Any]:
    """Every stored number of a scope as JSON-ready data (the CLI's --json)."""
    status = scope_status(session, template)
    rows = [
        _row(r)
        for r in session.execute(
            _item_select(with_values=True)
            .where(ItemStatistic.template == template)
            .order_by(Question.key, QuestionVersion.number)
        )
    ]
    if flagged:
        rows = [row for row in rows if row.review_flags]
    return {
        "template": template,
        "computed_at": status.computed_at.isoformat() if status.computed_at else None,
        "stale": status.stale,
        "stale_since": status.stale_since.isoformat() if status.stale_since else None,
        "new_attempts": status.new_attempts,
        "attempts": status.attempts,
        "test": status.values,
        "items": [
            {
                **row.values,
                "key": row.key,
                "version": row.number,
                "version_id": row.version_id,
                "subdomain": row.subdomain,
                "status": row.status,
                "responses": row.responses,
                "facility": row.facility,
                "discrimination": row.discrimination,
                "flags": list(row.flags),
            }
            for row in rows
        ],
    }
