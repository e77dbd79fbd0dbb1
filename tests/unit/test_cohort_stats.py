"""Cohort statistics: heatmap cells and marks, averages, weakest areas, missed items, trend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain
from exam_engine.domain.cohort_stats import (
    AssignmentRef,
    AttemptRecord,
    CohortSummary,
    ItemTally,
    StudentRef,
    build_scorecard,
    counted_attempts,
    heat_class,
    mark_counts,
    most_missed,
    sort_rows,
    summarize,
)
from exam_engine.domain.grading import GradedItem, grade
from exam_engine.domain.stats import wilson_interval
from exam_engine.domain.weak_areas import Observation, assess
from exam_engine.web.charts import cohort_trend
from tests.support.properties import examples

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _blueprint() -> Blueprint:
    def domain(code: str, weight: int, letters: str) -> Domain:
        subs = tuple(Subdomain(f"{code}-{x}", code, f"Sub {code}-{x}") for x in letters)
        return Domain(code, f"Domain {code}", weight, subs)

    return Blueprint(
        name="aaism",
        title="AAISM",
        domains=(domain("D1", 31, "ABCDE"), domain("D2", 31, "ABC"), domain("D3", 38, "ABCDE")),
    )


BP = _blueprint()
SUBS = BP.subdomain_codes


def _result(counts: dict[str, tuple[int, int]]) -> dict:
    """A cached AttemptResult dict graded from per-sub-domain (correct, total) counts."""
    items = []
    position = 0
    for code, (correct, total) in counts.items():
        for i in range(total):
            position += 1
            items.append(GradedItem(position, f"{code}-{i}", code[:2], code, i < correct, True))
    return grade(items, BP).to_dict()


def _record(
    aid: int, sid: int, asg: int, counts: dict | None, *, status: str = "submitted", hours: int = 0
) -> AttemptRecord:
    return AttemptRecord(
        attempt_id=aid,
        student_id=sid,
        assignment_id=asg,
        status=status,
        started_at=T0 + timedelta(hours=hours),
        result=_result(counts) if counts is not None else None,
    )


def _observations(counts: dict[str, tuple[int, int]]) -> list[Observation]:
    return [
        Observation(f"{code}-{i}", code[:2], code, i < correct, T0)
        for code, (correct, total) in counts.items()
        for i in range(total)
    ]


counts_strategy = st.dictionaries(
    st.sampled_from(SUBS),
    st.integers(min_value=0, max_value=30).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    ),
    max_size=len(SUBS),
)


@settings(max_examples=examples(60), deadline=None)
@given(
    students=st.lists(counts_strategy, min_size=1, max_size=4),
    target=st.sampled_from([0.5, 0.65, 0.8]),
)
def test_marks_equal_the_graders_assess(students, target) -> None:
    marks = mark_counts(students, BP, target=target)
    for counts, student_marks in zip(students, marks, strict=True):
        standing = assess(_observations(counts), BP, target=target)
        assert list(student_marks) == [s.code for s in standing.standings]
        for sub in standing.standings:
            assert student_marks[sub.code].status == sub.status
            assert student_marks[sub.code].p_below == pytest.approx(sub.p_below_target, abs=1e-12)


def test_marks_ignore_codes_outside_the_blueprint_and_reject_bad_counts() -> None:
    marks = mark_counts([{"D9-Z": (3, 3), "D1-A": (0, 8)}], BP)
    assert "D9-Z" not in marks[0]
    assert marks[0]["D1-A"].status == "weak"
    assert marks[0]["D2-A"].status == "needs more items"
    with pytest.raises(ValueError, match="D1-A: need 0 <= correct <= total"):
        mark_counts([{"D1-A": (5, 3)}], BP)
    with pytest.raises(ValueError, match="target"):
        mark_counts([{}], BP, target=1.0)
    assert mark_counts([], BP) == []


def test_counted_attempts_keep_the_first_finished_sitting() -> None:
    first = _record(1, 7, 1, {"D1-A": (1, 2)}, hours=1)
    second = _record(2, 7, 1, {"D1-A": (2, 2)}, hours=2)
    open_one = _record(3, 7, 1, None, status="in_progress", hours=3)
    assert counted_attempts([open_one, second, first]) == [first]
    older_open = _record(4, 8, 1, None, status="in_progress", hours=1)
    newer_open = _record(5, 8, 1, None, status="in_progress", hours=2)
    assert counted_attempts([newer_open, older_open]) == [newer_open]


def _cohort():
    students = [StudentRef(1, "Zoe"), StudentRef(2, "adam"), StudentRef(3, "Mia")]
    assignments = [AssignmentRef(10, "Mock A"), AssignmentRef(11, "Mock B")]
    records = [
        _record(100, 1, 10, {"D1-A": (3, 4), "D2-A": (1, 4), "D3-A": (2, 2)}),
        _record(101, 1, 11, {"D1-A": (4, 4), "D2-A": (2, 4), "D3-A": (1, 2)}, hours=24),
        _record(102, 2, 10, {"D1-A": (0, 4), "D2-A": (0, 4), "D3-A": (1, 2)}, status="expired"),
        _record(103, 2, 11, None, status="in_progress", hours=25),
        # Not counted: a non-student, an assignment of another cohort, a second sitting.
        _record(104, 99, 10, {"D1-A": (4, 4)}),
        _record(105, 1, 77, {"D1-A": (0, 4)}),
        _record(106, 1, 10, {"D1-A": (0, 4)}, hours=48),
    ]
    return students, assignments, records


def test_scorecard_pools_each_students_finished_assigned_mocks() -> None:
    students, assignments, records = _cohort()
    card = build_scorecard(students, assignments, records, BP, target=0.65)
    zoe, adam, mia = card.rows
    assert (zoe.finished, zoe.in_progress, zoe.attempt_ids) == (2, 0, (100, 101))
    assert (zoe.cell("D1-A").correct, zoe.cell("D1-A").total) == (7, 8)
    assert zoe.cell("D1").percent == pytest.approx(100 * 7 / 8)
    assert (zoe.overall.correct, zoe.overall.total) == (13, 20)
    assert (adam.finished, adam.in_progress) == (1, 1)
    assert adam.cell("D1-A").percent == 0.0
    assert mia.finished == 0
    assert mia.overall.percent is None
    assert mia.cell("D1-A").percent is None
    assert mia.cell("D1-A").status == "needs more items"
    # Every cell's mark is the grader's for that student's pooled counts.
    standing = assess(_observations({"D1-A": (7, 8), "D2-A": (3, 8), "D3-A": (3, 4)}), BP)
    for sub in standing.standings:
        assert zoe.cell(sub.code).status == sub.status


def test_domain_averages_pool_items_with_wilson_intervals() -> None:
    students, assignments, records = _cohort()
    card = build_scorecard(students, assignments, records, BP)
    d1 = card.domains[0]
    assert (d1.code, d1.score.correct, d1.score.total, d1.students) == ("D1", 7, 12, 2)
    lo, hi = wilson_interval(7, 12)
    assert d1.score.ci == pytest.approx((100 * lo, 100 * hi))
    assert (card.overall.correct, card.overall.total) == (14, 30)
    pooled = [
        {"D1-A": (7, 8), "D2-A": (3, 8), "D3-A": (3, 4)},
        {"D1-A": (0, 4), "D2-A": (0, 4), "D3-A": (1, 2)},
    ]
    statuses = [
        {s.code: s.status for s in assess(_observations(counts), BP).standings}["D1-A"]
        for counts in pooled
    ]
    d1a = next(s for s in card.subdomains if s.code == "D1-A")
    assert (d1a.weak, d1a.strong, d1a.needs_more, d1a.students) == (
        statuses.count("weak"),
        statuses.count("strong"),
        statuses.count("needs more items"),
        2,
    )
    assert d1a.weak == 1  # adam's 0 of 4
    assert [s.code for s in card.weakest] == ["D2-A", "D1-A", "D3-A"]
    assert card.codes[:7] == ("D1", "D1-A", "D1-B", "D1-C", "D1-D", "D1-E", "D2")


def test_completion_and_trend_per_assignment() -> None:
    students, assignments, records = _cohort()
    card = build_scorecard(students, assignments, records, BP)
    assert [(c.finished, c.in_progress, c.not_started) for c in card.completion] == [
        (2, 0, 1),
        (1, 1, 1),
    ]
    first, second = card.trend
    assert first.attempts == 2
    assert first.domains["D1"].correct == 3
    assert first.domains["D1"].total == 8
    assert second.attempts == 1
    assert second.domains["D2"].percent == 50.0
    svg = cohort_trend(card, BP)
    assert svg.startswith("<svg")
    assert "Mock 1 is Mock A." in svg
    assert "Mock 2" in svg
    assert "D1 Domain D1: Mock 1 38%, Mock 2 100%." in svg


def test_the_summary_gives_the_scorecards_overall_and_completion() -> None:
    students, assignments, records = _cohort()
    card = build_scorecard(students, assignments, records, BP)
    summary = summarize(students, assignments, records)
    assert (summary.overall.correct, summary.overall.total) == (14, 30)
    assert summary.overall == card.overall
    assert summary.completion == card.completion
    # Fewer students or assignments: only theirs count, as in the scorecard.
    for chosen, set_ in ((students[:1], assignments), (students, assignments[1:])):
        part = build_scorecard(chosen, set_, records, BP)
        assert summarize(chosen, set_, records) == CohortSummary(part.overall, part.completion)
    empty = summarize([StudentRef(1, "x")], [AssignmentRef(1, "M")], [])
    assert empty.overall.total == 0
    assert [(c.finished, c.not_started) for c in empty.completion] == [(0, 1)]


def test_trend_chart_is_empty_without_finished_mocks() -> None:
    card = build_scorecard([StudentRef(1, "x")], [AssignmentRef(1, "M")], [], BP)
    assert cohort_trend(card, BP) == ""
    assert card.weakest == ()
    assert card.overall.total == 0


def test_sort_rows_puts_missing_scores_last_both_ways() -> None:
    students, assignments, records = _cohort()
    rows = build_scorecard(students, assignments, records, BP).rows
    names = lambda rs: [r.student.label for r in rs]  # noqa: E731
    assert names(sort_rows(rows, "name")) == ["adam", "Mia", "Zoe"]
    assert names(sort_rows(rows, "name", descending=True)) == ["Zoe", "Mia", "adam"]
    assert names(sort_rows(rows, "overall")) == ["adam", "Zoe", "Mia"]
    assert names(sort_rows(rows, "overall", descending=True)) == ["Zoe", "adam", "Mia"]
    assert names(sort_rows(rows, "D1-A", descending=True)) == ["Zoe", "adam", "Mia"]
    assert names(sort_rows(rows, "finished", descending=True)) == ["Zoe", "adam", "Mia"]


def test_most_missed_ranks_by_share_and_names_the_top_distractor() -> None:
    items = [
        ItemTally(1, "D1-A-001", "D1-A", 0, {0: 2, 1: 5, 2: 1, None: 2}),  # 8/10 missed
        ItemTally(2, "D1-A-002", "D1-A", 3, {3: 9, 0: 1}),  # 1/10
        ItemTally(3, "D2-B-001", "D2-B", 1, {2: 3, 3: 3, 1: 0}),  # 6/6, tie 2 vs 3 -> 2
        ItemTally(4, "D3-A-001", "D3-A", 2, {0: 2}),  # 2/2 but shown too rarely
        ItemTally(5, "D3-B-001", "D3-B", 2, {2: 12}),  # never missed
        ItemTally(6, "D3-C-001", "D3-C", 2, {None: 6}),  # all blank: no distractor
    ]
    ranked = most_missed(items, limit=10, min_shown=5)
    assert [m.key for m in ranked] == ["D2-B-001", "D3-C-001", "D1-A-001", "D1-A-002"]
    top = ranked[0]
    assert (top.shown, top.missed, top.top_distractor, top.top_distractor_count) == (6, 6, 2, 3)
    blank = ranked[1]
    assert (blank.blank, blank.top_distractor, blank.miss_percent) == (6, None, 100.0)
    assert ranked[2].top_distractor == 1
    assert ranked[2].miss_percent == 80.0
    assert [m.key for m in most_missed(items, limit=2)] == ["D2-B-001", "D3-C-001"]
    # A small cohort (nobody reaches min_shown) still gets a list.
    assert [m.key for m in most_missed(items[3:4], min_shown=5)] == ["D3-A-001"]
    assert most_missed(items[4:5]) == ()
    with pytest.raises(ValueError, match="limit"):
        most_missed(items, limit=0)


@pytest.mark.parametrize(
    ("percent", "css"),
    [(None, "heat-none"), (0.0, "heat-0"), (9.99, "heat-0"), (65.0, "heat-6"), (100.0, "heat-9")],
)
def test_heat_class_bins(percent, css) -> None:
    assert heat_class(percent) == css
