"""Cohort statistics: the students x sub-domains heatmap and what an instructor reads from it.

Input is what finalize cached for each attempt (``AttemptResult.to_dict()``), one finished
attempt per student and assignment (the earliest, should there be more), plus per-item choice
tallies for the most-missed list. Nothing here touches a database.

Cells. A student's cell pools the correct/total counts of every assigned mock they finished
(repeat sightings of an item across mocks count again: the cached results are per attempt).
Each sub-domain cell carries the grader's mark from ``weak_areas``' model, rebuilt from those
counts exactly as ``assess`` computes it from first exposures (``mark_counts``; a unit test
checks the two agree), but for every cell of the cohort in one vectorised Beta CDF call:
    m       = (c_d + 1) / (n_d + 2)                     c_d, n_d: the student's domain counts
    post    = Beta(k * m + c_s, k * (1 - m) + n_s - c_s)
    p_below = P(rate < target | post)    weak if >= weak_at, strong if <= strong_at
Averages. A domain's or sub-domain's cohort score pools every student's items, with the 95%
Wilson interval of ``grading.Score`` (items of one student are not independent, so read the
interval as a floor on the uncertainty).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.grading import Score
from exam_engine.domain.stats import BetaDist, smoothed_rate
from exam_engine.domain.vocabulary import FINISHED, AttemptStatus
from exam_engine.domain.weak_areas import (
    NEEDS_MORE,
    STRONG,
    WEAK,
    Status,
    check_thresholds,
    classify,
)

STATUS_ORDER: tuple[Status, ...] = (WEAK, NEEDS_MORE, STRONG)
Tally = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Ref:
    """A student or an assignment of the cohort: its id and the label rows show and sort by."""

    id: int
    label: str


# Students sort by label when sorted by name; assignments keep the order the mocks were set.
StudentRef = Ref
AssignmentRef = Ref


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt at an assignment; ``result`` is the cached AttemptResult (None if unfinished)."""

    attempt_id: int
    student_id: int
    assignment_id: int
    status: str
    started_at: datetime
    result: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class Mark:
    """The grader's view of one sub-domain cell."""

    p_below: float
    status: Status


@dataclass(frozen=True, slots=True)
class Cell:
    """One heatmap cell: pooled counts, and the mark for sub-domain cells."""

    correct: int
    total: int
    mark: Mark | None = None

    @property
    def percent(self) -> float | None:
        """Return 100 * correct / total, or None when the student saw no item here."""
        return 100.0 * self.correct / self.total if self.total else None

    @property
    def status(self) -> Status | None:
        """Return the mark's status (None for domain and overall cells)."""
        return self.mark.status if self.mark is not None else None


EMPTY = Cell(0, 0)


@dataclass(frozen=True)
class StudentRow:
    """A heatmap row: one student's pooled scores over the assigned mocks they finished."""

    student: StudentRef
    finished: int
    in_progress: int
    overall: Cell
    domains: Mapping[str, Cell]
    subdomains: Mapping[str, Cell]
    attempt_ids: tuple[int, ...] = ()

    def cell(self, code: str) -> Cell:
        """Return the domain or sub-domain cell with this code (empty when unseen)."""
        return self.domains.get(code) or self.subdomains.get(code) or EMPTY


@dataclass(frozen=True)
class AreaSummary:
    """A domain's or sub-domain's cohort view: pooled score and students by mark."""

    code: str
    domain: str
    score: Score
    students: int
    weak: int = 0
    strong: int = 0
    needs_more: int = 0


@dataclass(frozen=True)
class Completion:
    """How many current students finished, are sitting, or have not started an assignment."""

    assignment: AssignmentRef
    finished: int
    in_progress: int
    not_started: int

    @property
    def students(self) -> int:
        """Return the number of students counted."""
        return self.finished + self.in_progress + self.not_started


@dataclass(frozen=True)
class TrendPoint:
    """The cohort's pooled domain scores on one assignment (domains with no item left out)."""

    assignment: AssignmentRef
    attempts: int
    domains: Mapping[str, Score]


@dataclass(frozen=True, slots=True)
class ItemTally:
    """How a cohort answered one item version: stored choice -> count (None = left blank)."""

    version_id: int
    key: str
    subdomain: str
    answer_index: int
    choices: Mapping[int | None, int]


@dataclass(frozen=True, slots=True)
class MissedItem:
    """An item the cohort often got wrong, and the distractor it chose most."""

    version_id: int
    key: str
    subdomain: str
    answer_index: int
    shown: int
    missed: int
    blank: int
    top_distractor: int | None
    top_distractor_count: int

    @property
    def miss_percent(self) -> float:
        """Return 100 * missed / shown (blank answers count as missed)."""
        return 100.0 * self.missed / self.shown if self.shown else 0.0


@dataclass(frozen=True)
class CohortScorecard:
    """Everything the cohort scorecard shows, in blueprint and assignment order."""

    rows: tuple[StudentRow, ...]
    overall: Score
    domains: tuple[AreaSummary, ...]
    subdomains: tuple[AreaSummary, ...]
    weakest: tuple[AreaSummary, ...]
    completion: tuple[Completion, ...]
    trend: tuple[TrendPoint, ...]
    target: float
    assignments: tuple[AssignmentRef, ...] = field(default=())

    @property
    def codes(self) -> tuple[str, ...]:
        """Return domain and sub-domain codes as the heatmap's columns read."""
        out: list[str] = []
        for domain in self.domains:
            out.append(domain.code)
            out.extend(s.code for s in self.subdomains if s.domain == domain.code)
        return tuple(out)


def _add(into: dict[str, list[int]], scores: Mapping[str, Any]) -> None:
    """Add a cached result's ``by_domain`` or ``by_subdomain`` counts into running tallies."""
    for code, data in scores.items():
        tally = into.get(code)
        if tally is None:
            into[code] = [data["correct"], data["total"]]
        else:
            tally[0] += data["correct"]
            tally[1] += data["total"]


def mark_counts(
    students: Sequence[Mapping[str, Tally]],
    blueprint: Blueprint,
    *,
    target: float = 0.65,
    prior_strength: float = 4.0,
    weak_at: float = 0.8,
    strong_at: float = 0.2,
) -> list[dict[str, Mark]]:
    """Mark every blueprint sub-domain of every student from pooled (correct, total) counts.

    Equals what ``weak_areas.assess`` gives for observations with these counts (model in the
    module docstring); codes the blueprint lacks are ignored, as ``assess`` ignores them.
    """
    check_thresholds(target, prior_strength, weak_at, strong_at)
    alphas: list[float] = []
    betas: list[float] = []
    cells: list[tuple[int, str, int]] = []
    for index, counts in enumerate(students):
        for domain in blueprint.domains:
            subs = [(s.code, *counts.get(s.code, (0, 0))) for s in domain.subdomains]
            for code, c_s, n_s in subs:
                if not 0 <= c_s <= n_s:
                    raise ValueError(f"{code}: need 0 <= correct <= total, got {c_s} of {n_s}")
            c_d = sum(c for _, c, _ in subs)
            n_d = sum(n for _, _, n in subs)
            prior = BetaDist.with_mean(smoothed_rate(c_d, n_d), prior_strength)
            for code, c_s, n_s in subs:
                alphas.append(prior.alpha + c_s)
                betas.append(prior.beta + n_s - c_s)
                cells.append((index, code, n_s))
    marks: list[dict[str, Mark]] = [{} for _ in students]
    if not cells:
        return marks
    # One ufunc call for the whole cohort: the same scipy Beta CDF as BetaDist.cdf, per cell.
    # Imported where used: scipy adds ~65 MB to every process (CLI, web).
    from scipy import stats as _scipy_stats  # type: ignore[import-untyped]

    p_values = _scipy_stats.beta.cdf(target, alphas, betas)
    for (index, code, n_s), p_below in zip(cells, p_values, strict=True):
        p = float(p_below)
        marks[index][code] = Mark(p, classify(p, n_s, weak_at, strong_at))
    return marks


def counted_attempts(records: Iterable[AttemptRecord]) -> list[AttemptRecord]:
    """Keep one attempt per (student, assignment): the earliest finished one, else the latest."""
    chosen: dict[tuple[int, int], AttemptRecord] = {}
    for record in records:
        slot = (record.student_id, record.assignment_id)
        kept = chosen.get(slot)
        if kept is None or _better(record, kept):
            chosen[slot] = record
    return list(chosen.values())


def _better(new: AttemptRecord, kept: AttemptRecord) -> bool:
    """Tell whether ``new`` should replace ``kept`` as the attempt that counts."""
    new_done = new.status in FINISHED and new.result is not None
    kept_done = kept.status in FINISHED and kept.result is not None
    if new_done != kept_done:
        return new_done
    key_new, key_kept = (new.started_at, new.attempt_id), (kept.started_at, kept.attempt_id)
    # A finished attempt counts from the first sitting; an unfinished one is the latest.
    return key_new < key_kept if new_done else key_new > key_kept


def build_scorecard(
    students: Sequence[StudentRef],
    assignments: Sequence[AssignmentRef],
    records: Iterable[AttemptRecord],
    blueprint: Blueprint,
    *,
    target: float = 0.65,
    weakest: int = 3,
) -> CohortScorecard:
    """Build the cohort scorecard from its students' attempts at its assignments.

    Attempts of anyone not in ``students`` or at an assignment not in ``assignments`` are
    ignored. Rows keep the order of ``students``; sort them with ``sort_rows``.
    """
    student_ids = {s.id for s in students}
    assignment_ids = {a.id for a in assignments}
    kept = counted_attempts(
        r for r in records if r.student_id in student_ids and r.assignment_id in assignment_ids
    )
    per_student: dict[int, list[AttemptRecord]] = {s.id: [] for s in students}
    by_assignment: dict[int, list[AttemptRecord]] = {a.id: [] for a in assignments}
    for record in kept:
        per_student[record.student_id].append(record)
        by_assignment[record.assignment_id].append(record)

    pooled: list[tuple[list[int], dict[str, list[int]], dict[str, list[int]]]] = []
    for student in students:
        overall = [0, 0]
        domains: dict[str, list[int]] = {}
        subs: dict[str, list[int]] = {}
        for record in per_student[student.id]:
            if record.status in FINISHED and record.result is not None:
                overall[0] += int(record.result["score"]["correct"])
                overall[1] += int(record.result["score"]["total"])
                _add(domains, record.result["by_domain"])
                _add(subs, record.result["by_subdomain"])
        pooled.append((overall, domains, subs))

    marks = mark_counts(
        [{code: (t[0], t[1]) for code, t in subs.items()} for _, _, subs in pooled],
        blueprint,
        target=target,
    )
    rows: list[StudentRow] = []
    for student, (overall, domains, subs), student_marks in zip(
        students, pooled, marks, strict=True
    ):
        records_of = sorted(per_student[student.id], key=lambda r: (r.started_at, r.attempt_id))
        finished = [r for r in records_of if r.status in FINISHED and r.result is not None]
        sub_cells = {code: Cell(t[0], t[1], student_marks.get(code)) for code, t in subs.items()}
        # A blueprint sub-domain the student never met still gets its ("needs more") mark.
        for code, mark in student_marks.items():
            sub_cells.setdefault(code, Cell(0, 0, mark))
        rows.append(
            StudentRow(
                student=student,
                finished=len(finished),
                in_progress=sum(r.status == AttemptStatus.IN_PROGRESS for r in records_of),
                overall=Cell(overall[0], overall[1]),
                domains={code: Cell(t[0], t[1]) for code, t in domains.items()},
                subdomains=sub_cells,
                attempt_ids=tuple(r.attempt_id for r in finished),
            )
        )

    domain_summaries = _summaries(rows, blueprint, level="domain")
    sub_summaries = _summaries(rows, blueprint, level="subdomain")
    with_data = [s for s in sub_summaries if s.score.total]
    ranked = sorted(with_data, key=lambda s: (s.score.rate, -s.weak, s.code))
    return CohortScorecard(
        rows=tuple(rows),
        overall=Score.of(sum(r.overall.correct for r in rows), sum(r.overall.total for r in rows)),
        domains=domain_summaries,
        subdomains=sub_summaries,
        weakest=tuple(ranked[:weakest]),
        completion=_completion(students, assignments, by_assignment),
        trend=_trend(assignments, by_assignment, blueprint),
        target=target,
        assignments=tuple(assignments),
    )


@dataclass(frozen=True)
class CohortSummary:
    """What a list of cohorts shows of each: its pooled score and assignment completion."""

    overall: Score
    completion: tuple[Completion, ...]


def summarize(
    students: Sequence[StudentRef],
    assignments: Sequence[AssignmentRef],
    records: Iterable[AttemptRecord],
) -> CohortSummary:
    """The ``overall`` and ``completion`` of :func:`build_scorecard`, without the per-student
    rows, marks, area summaries and trend it also computes (most of its cost)."""
    student_ids = {s.id for s in students}
    by_assignment: dict[int, list[AttemptRecord]] = {a.id: [] for a in assignments}
    correct = total = 0
    kept = counted_attempts(
        r for r in records if r.student_id in student_ids and r.assignment_id in by_assignment
    )
    for record in kept:
        by_assignment[record.assignment_id].append(record)
        if record.status in FINISHED and record.result is not None:
            correct += int(record.result["score"]["correct"])
            total += int(record.result["score"]["total"])
    return CohortSummary(
        Score.of(correct, total), _completion(students, assignments, by_assignment)
    )


def _summaries(
    rows: Sequence[StudentRow], blueprint: Blueprint, *, level: str
) -> tuple[AreaSummary, ...]:
    """Pool the rows' cells per domain or sub-domain, in blueprint order."""
    areas: list[tuple[str, str]] = []
    for domain in blueprint.domains:
        if level == "domain":
            areas.append((domain.code, domain.code))
        else:
            areas.extend((s.code, domain.code) for s in domain.subdomains)
    out: list[AreaSummary] = []
    for code, domain_code in areas:
        cells = [row.cell(code) for row in rows]
        seen = [c for c in cells if c.total]
        statuses = [c.status for c in cells if c.status is not None and c.total]
        out.append(
            AreaSummary(
                code=code,
                domain=domain_code,
                score=Score.of(sum(c.correct for c in seen), sum(c.total for c in seen)),
                students=len(seen),
                weak=statuses.count(WEAK),
                strong=statuses.count(STRONG),
                needs_more=statuses.count(NEEDS_MORE),
            )
        )
    return tuple(out)


def _completion(
    students: Sequence[StudentRef],
    assignments: Sequence[AssignmentRef],
    by_assignment: Mapping[int, Sequence[AttemptRecord]],
) -> tuple[Completion, ...]:
    """Count finished, in-progress and not-started students per assignment."""
    out: list[Completion] = []
    for assignment in assignments:
        of_it = by_assignment[assignment.id]
        finished = sum(r.status in FINISHED for r in of_it)
        in_progress = sum(r.status == AttemptStatus.IN_PROGRESS for r in of_it)
        out.append(
            Completion(assignment, finished, in_progress, len(students) - finished - in_progress)
        )
    return tuple(out)


def _trend(
    assignments: Sequence[AssignmentRef],
    by_assignment: Mapping[int, Sequence[AttemptRecord]],
    blueprint: Blueprint,
) -> tuple[TrendPoint, ...]:
    """Pool each assignment's finished attempts per domain, in assignment order."""
    points: list[TrendPoint] = []
    order = [d.code for d in blueprint.domains]
    for assignment in assignments:
        tallies: dict[str, list[int]] = {}
        finished = [
            r for r in by_assignment[assignment.id] if r.status in FINISHED and r.result is not None
        ]
        for record in finished:
            assert record.result is not None
            _add(tallies, record.result["by_domain"])
        codes = [c for c in order if c in tallies] + sorted(set(tallies) - set(order))
        points.append(
            TrendPoint(
                assignment,
                len(finished),
                {code: Score.of(*tallies[code]) for code in codes if tallies[code][1]},
            )
        )
    return tuple(points)


def most_missed(
    items: Iterable[ItemTally], *, limit: int = 10, min_shown: int = 5
) -> tuple[MissedItem, ...]:
    """Rank items by share missed (blank counts as missed), then by times missed.

    Items shown fewer than ``min_shown`` times are left out unless no item reaches it, in
    which case the threshold drops to the most-shown item's count (small cohorts still get
    a list). Items nobody missed are never listed.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    missed: list[MissedItem] = []
    for item in items:
        shown = sum(item.choices.values())
        correct = item.choices.get(item.answer_index, 0)
        blank = item.choices.get(None, 0)
        distractors = [
            (count, -choice)
            for choice, count in item.choices.items()
            if choice is not None and choice != item.answer_index and count > 0
        ]
        top = max(distractors) if distractors else None
        missed.append(
            MissedItem(
                version_id=item.version_id,
                key=item.key,
                subdomain=item.subdomain,
                answer_index=item.answer_index,
                shown=shown,
                missed=shown - correct,
                blank=blank,
                top_distractor=-top[1] if top else None,
                top_distractor_count=top[0] if top else 0,
            )
        )
    candidates = [m for m in missed if m.missed > 0]
    if not candidates:
        return ()
    floor = min(min_shown, max(m.shown for m in candidates))
    ranked = sorted(
        (m for m in candidates if m.shown >= floor),
        key=lambda m: (-m.missed / m.shown, -m.missed, m.key, m.version_id),
    )
    return tuple(ranked[:limit])


SORT_KEYS = ("name", "finished", "overall")


def sort_rows(
    rows: Sequence[StudentRow], key: str, *, descending: bool = False
) -> list[StudentRow]:
    """Sort rows by name, finished mocks, overall or a domain/sub-domain code.

    Rows with no score in the sort column always come last, whichever the direction; ties
    keep name order.
    """
    by_name = sorted(rows, key=lambda r: (r.student.label.casefold(), r.student.id))
    if key == "name":
        return list(reversed(by_name)) if descending else by_name

    def value(row: StudentRow) -> float | None:
        if key == "finished":
            return float(row.finished)
        cell = row.overall if key == "overall" else row.cell(key)
        return cell.percent

    present = [r for r in by_name if value(r) is not None]
    missing = [r for r in by_name if value(r) is None]
    present.sort(key=lambda r: value(r) or 0.0, reverse=descending)
    return present + missing


def heat_class(percent: float | None) -> str:
    """Return the heatmap colour bin for a percent: ``heat-0`` .. ``heat-9``, ``heat-none``."""
    if percent is None:
        return "heat-none"
    return f"heat-{min(9, max(0, int(percent // 10)))}"
