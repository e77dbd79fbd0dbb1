"""Cohort exports as CSV: the heatmap, and every student-attempt at the cohort's assignments."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.moments import iso_utc
from exam_engine.domain.vocabulary import FINISHED
from exam_engine.models import Attempt, Cohort
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.cohorts.abilities import attempt_abilities
from exam_engine.services.cohorts.assignments import assignment_lines
from exam_engine.services.cohorts.scorecard import (
    CohortView,
    attempt_records,
    gc_paused,
    students_of,
)


def _safe(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _pct(value: float | None) -> str:
    """A percent as a spreadsheet number: one decimal, no sign (empty when undefined)."""
    return "" if value is None else f"{value:.1f}"


def scorecard_csv(view: CohortView) -> str:
    """Return the heatmap as CSV: one row a student, percent per domain and sub-domain.

    Then the row's pooled ability and SE, overall and per domain (empty cells when the
    calibration is too thin or the student has no calibrated answers; ``view`` must have been
    built with abilities for them to be filled).
    """
    abilities = view.abilities
    domains = view.domain_codes
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    subs = view.subdomain_codes
    writer.writerow(
        ["email", "name", "mocks_finished", "overall_correct", "overall_total", "overall_percent"]
        + view.domain_codes
        + subs
        + [f"{code} status" for code in subs]
        + ["ability", "ability_se"]
        + [f"{code} {column}" for code in domains for column in ("ability", "ability_se")]
    )
    for row in view.rows:
        info = view.students[row.student.id]
        writer.writerow(
            [
                _safe(info.email),
                _safe(info.name),
                row.finished,
                row.overall.correct,
                row.overall.total,
                _pct(row.overall.percent),
            ]
            + [_pct(row.cell(code).percent) for code in view.domain_codes]
            + [_pct(row.cell(code).percent) for code in subs]
            + [row.cell(code).status or "" for code in subs]
            + _row_ability_cells(
                abilities.by_id.get(row.student.id) if abilities else None, domains
            )
        )
    return out.getvalue()


def attempts_csv(session: Session, cohort: Cohort) -> str:
    """Return every student-attempt at the cohort's assignments as CSV, oldest first."""
    blueprint = bundled_blueprint()
    domains = [d.code for d in blueprint.domains]
    subs = list(blueprint.subdomain_codes)
    students = {s.id: s for s in students_of(session, cohort.id)}
    lines = {line.assignment.id: line for line in assignment_lines(session, cohort.id)}
    with gc_paused():
        fetched = attempt_records(session, cohort.id)
    records = sorted(
        fetched,
        key=lambda r: (
            lines[r.assignment_id].number,
            students[r.student_id].email,
            r.started_at,
            r.attempt_id,
        ),
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "email",
            "name",
            "mock",
            "template",
            "assignment_id",
            "attempt_id",
            "status",
            "started_at",
            "submitted_at",
            "correct",
            "total",
            "percent",
        ]
        + domains
        + subs
        + ["ability", "ability_se"]
        + [f"{code} ability" for code in domains]
    )
    abilities = attempt_abilities(session, [r.attempt_id for r in records if r.status in FINISHED])
    submitted = (
        dict(
            list(
                session.execute(
                    select(Attempt.id, Attempt.submitted_at).where(
                        Attempt.id.in_([r.attempt_id for r in records])
                    )
                ).tuples()
            )
        )
        if records
        else {}
    )
    for record in records:
        info = students[record.student_id]
        line = lines[record.assignment_id]
        result = record.result if record.status in FINISHED else None
        score = (result or {}).get("score") or {}

        def percent(level: str, code: str, result: Any = result) -> str:
            data = (result or {}).get(level, {}).get(code)
            return (
                ""
                if not data or not data["total"]
                else f"{100.0 * data['correct'] / data['total']:.1f}"
            )

        done = submitted.get(record.attempt_id)
        writer.writerow(
            [
                _safe(info.email),
                _safe(info.name),
                line.number,
                _safe(line.template.title),
                record.assignment_id,
                record.attempt_id,
                record.status,
                iso_utc(record.started_at, whole_seconds=True),
                iso_utc(done, whole_seconds=True) if done else "",
                score.get("correct", ""),
                score.get("total", ""),
                f"{100.0 * score['correct'] / score['total']:.1f}" if score.get("total") else "",
            ]
            + [percent("by_domain", code) for code in domains]
            + [percent("by_subdomain", code) for code in subs]
            + _ability_cells(abilities.get(record.attempt_id), domains)
        )
    return out.getvalue()


def _ability_cells(ability: Any, domains: list[str]) -> list[str]:
    """Ability and SE, then ability per domain (empty cells when there is none)."""
    if ability is None or ability.overall is None:
        return [""] * (2 + len(domains))
    by_domain = ability.by_domain
    return [f"{ability.overall.theta:.3f}", f"{ability.overall.se:.3f}"] + [
        f"{by_domain[code].theta:.3f}" if code in by_domain else "" for code in domains
    ]


def _row_ability_cells(ability: Any, domains: list[str]) -> list[str]:
    """Ability and SE overall, then ability and SE per domain (empty when there is none)."""
    if ability is None or ability.overall is None:
        return [""] * (2 + 2 * len(domains))
    cells = [f"{ability.overall.theta:.3f}", f"{ability.overall.se:.3f}"]
    for code in domains:
        estimate = ability.by_domain.get(code)
        cells += ["", ""] if estimate is None else [f"{estimate.theta:.3f}", f"{estimate.se:.3f}"]
    return cells
