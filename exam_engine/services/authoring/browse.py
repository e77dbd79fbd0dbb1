"""The bank browser: search, filter, sort and page the newest version of every question."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.domain.lint import lint
from exam_engine.domain.vocabulary import Difficulty, VersionStatus, values
from exam_engine.models import Question, QuestionVersion
from exam_engine.services.authoring.completeness import version_checklist
from exam_engine.services.authoring.reading import user_names
from exam_engine.services.bank import latest_versions, version_record
from exam_engine.services.catalog import bundled_blueprint

LintFilter = Literal["", "errors", "warnings", "clean"]
SORTS: tuple[str, ...] = ("key", "subdomain", "difficulty", "status", "updated", "lint")
LINT_FILTERS: tuple[str, ...] = ("errors", "warnings", "clean")
DIFFICULTIES = values(Difficulty)
STATUSES = values(VersionStatus)


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
    # What the version lacks before review or publication (empty when complete).
    missing: tuple[str, ...] = ()

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
    # "incomplete": only drafts whose checklist is not empty.
    completeness: str = ""
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
    active = [
        version_record(k, v) for k, v in sorted(newest.items()) if v.status != VersionStatus.RETIRED
    ]
    findings = lint(active)
    for key, version in sorted(newest.items()):
        if version.status == VersionStatus.RETIRED:
            findings.extend(lint([version_record(key, version)]))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"error": 0, "warning": 0})
    for finding in findings:
        if finding.key:
            counts[finding.key][finding.level] += 1
    live: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(Question.key, func.max(QuestionVersion.number))
            .join(QuestionVersion, QuestionVersion.question_id == Question.id)
            .where(QuestionVersion.status == VersionStatus.PUBLISHED)
            .group_by(Question.key)
        ).all()
    )
    names = user_names(session, (v.author_id for v in newest.values()))
    blueprint = bundled_blueprint()
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
            missing=version_checklist(version, blueprint)
            if version.status == VersionStatus.DRAFT
            else (),
        )
        if query.completeness == "incomplete" and not row.missing:
            continue
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
        "difficulty": lambda r: (("", *DIFFICULTIES).index(r.version.difficulty), r.key),
        "status": lambda r: (STATUSES.index(r.version.status), r.key),
        "updated": lambda r: (r.updated_at, r.key),
        "lint": lambda r: (r.errors, r.warnings, r.key),
    }
    rows.sort(key=sort_keys.get(query.sort, sort_keys["key"]), reverse=query.descending)
    per_page = max(1, query.per_page)
    pages = max(1, math.ceil(len(rows) / per_page))
    page = min(max(1, query.page), pages)
    start = (page - 1) * per_page
    return BrowsePage(tuple(rows[start : start + per_page]), len(rows), page, pages, per_page)
