"""Scorecard service: grades, pooled standing, readiness, pacing, review and history."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from exam_engine.domain.grading import Score
from exam_engine.domain.readiness import ESTIMATE_LABEL, pass_probability, scaled_estimate
from exam_engine.models import Attempt, AttemptItem, ExamTemplate, QuestionVersion, utcnow
from exam_engine.services import attempts, scorecards
from exam_engine.services.errors import NotFound, ValidationFailed
from exam_engine.services.scorecards import AttemptInProgress, ReviewFilter
from exam_engine.web import charts
from tests.factories import UserFactory

GRACE = 30
TARGET = 0.65
Pick = Callable[[AttemptItem], bool]


@pytest.fixture
def user(session):
    return UserFactory()


def take(
    session,
    user,
    template: str = "aaism-full",
    *,
    when=None,
    right: Pick = lambda item: True,
    answer: Pick = lambda item: True,
    flag: Pick = lambda item: False,
    minutes: float = 30,
    kind: str = "mock",
    submit: bool = True,
) -> Attempt:
    """Take an attempt: answer (right or wrong) the chosen positions, then submit."""
    when = when or utcnow() - timedelta(hours=3)
    attempt = attempts.start_attempt(session, user.id, template, now=when, kind=kind)
    # Answers are set directly (one commit): the save path has its own tests.
    for item in attempt.items:
        key = item.version.answer_index
        item.choice = (key if right(item) else (key + 1) % 4) if answer(item) else None
        item.flagged = flag(item)
    session.commit()
    if submit:
        attempts.submit_attempt(
            session, user.id, attempt.id, now=when + timedelta(minutes=minutes), grace_seconds=GRACE
        )
    session.refresh(attempt)
    return attempt


def card_of(session, user, attempt, *, target: float = TARGET, now=None):
    return scorecards.build_scorecard(
        session, user.id, attempt.id, now=now or utcnow(), grace_seconds=GRACE, target=target
    )


def review_of(session, user, attempt, **filters):
    return scorecards.build_review(
        session,
        user.id,
        attempt.id,
        now=utcnow(),
        grace_seconds=GRACE,
        filters=ReviewFilter(**filters),
    )


def test_scores_follow_the_answers_overall_per_domain_and_sub_domain(session, bank, user) -> None:
    attempt = take(
        session,
        user,
        right=lambda item: item.position % 3 != 0,
        answer=lambda item: item.position % 10 != 0,
    )
    card = card_of(session, user, attempt)
    items = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    correct = [i for i in items if i.position % 3 != 0 and i.position % 10 != 0]
    expected = Score.of(len(correct), 90)
    assert (card.score.correct, card.score.total) == (len(correct), 90)
    # The cached result keeps two decimals.
    assert card.score.percent == pytest.approx(expected.percent, abs=0.005)
    assert card.score.ci == pytest.approx(expected.ci, abs=0.005)
    assert card.answered == 81
    assert card.unanswered_positions == tuple(range(10, 91, 10))
    by_domain = Counter(i.version.domain for i in correct)
    totals = Counter(i.version.domain for i in items)
    assert [line.code for line in card.domains] == ["D1", "D2", "D3"]
    for line in card.domains:
        assert (line.score.correct, line.score.total) == (by_domain[line.code], totals[line.code])
        ci = Score.of(line.score.correct, line.score.total).ci
        assert line.score.ci == pytest.approx(ci, abs=0.005)
    by_sub = Counter(i.version.subdomain for i in correct)
    assert len(card.subdomains) == 13
    assert {line.code: line.score.correct for line in card.subdomains} == {
        code: by_sub[code] for code in {i.version.subdomain for i in items}
    }
    assert card.subdomains[0].title.startswith("Stakeholder Considerations")
    assert card.scaled_estimate == scaled_estimate(card.score.percent)
    assert card.estimate_label == ESTIMATE_LABEL
    assert "not an ISACA score" in card.estimate_label


def test_the_grade_is_against_the_versions_shown(session, bank, user) -> None:
    attempt = attempts.start_attempt(session, user.id, "quiz-20", now=utcnow())
    item = attempt.items[0]
    shown = item.version
    key_id = attempts.stored_to_choice(item, shown.answer_index)
    attempts.save_response(
        session, user.id, attempt.id, 1, choice=key_id, flagged=False, seq=1, now=utcnow(),
        grace_seconds=GRACE,
    )  # fmt: skip
    shown.status = "retired"
    session.add(
        QuestionVersion(
            question_id=shown.question_id, number=2, status="published", domain=shown.domain,
            subdomain=shown.subdomain, difficulty=shown.difficulty, stem=shown.stem + " (v2)",
            options=list(shown.options), rationales=list(shown.rationales),
            answer_index=(shown.answer_index + 1) % 4, references=[], enemies=[],
            content_hash="v2",
        )
    )  # fmt: skip
    session.commit()
    attempts.submit_attempt(session, user.id, attempt.id, now=utcnow(), grace_seconds=GRACE)
    assert card_of(session, user, attempt).score.correct == 1
    first = review_of(session, user, attempt).items[0]
    assert first.correct
    assert first.key == key_id
    assert first.stem == shown.stem


def test_results_wait_for_the_attempt_to_finish(session, bank, user) -> None:
    attempt = take(session, user, "quiz-20", when=utcnow(), submit=False)
    with pytest.raises(AttemptInProgress, match="still in progress"):
        card_of(session, user, attempt)
    with pytest.raises(AttemptInProgress):
        review_of(session, user, attempt)
    assert AttemptInProgress.status == 409


def test_an_attempt_past_its_deadline_is_finalized_on_read(session, bank, user) -> None:
    started = utcnow() - timedelta(hours=2)
    attempt = take(session, user, "quiz-20", when=started, submit=False)
    card = card_of(session, user, attempt)
    assert card.status == "expired"
    assert card.submitted_at == attempt.deadline_at
    assert card.pacing is not None
    assert card.pacing.timed_out
    assert card.pacing.used_seconds == card.pacing.allowed_seconds == 40 * 60


def test_another_users_attempt_is_not_found(session, bank, user) -> None:
    attempt = take(session, user, "quiz-20")
    other = UserFactory()
    with pytest.raises(NotFound):
        card_of(session, other, attempt)
    with pytest.raises(NotFound):
        review_of(session, other, attempt)


def test_a_weak_sub_domain_is_found_ranked_and_drilled(session, bank, user) -> None:
    attempt = take(session, user, right=lambda item: item.version.subdomain != "D2-B")
    card = card_of(session, user, attempt)
    outlook = card.outlook
    assert [line.code for line in outlook.weak_areas] == ["D2-B"]
    weak = outlook.weak_areas[0]
    assert weak.title == "AI Threat and Vulnerability Management"
    assert weak.standing.p_below_target >= 0.8
    assert weak.standing.correct == 0
    statuses = {line.code: line.standing.status for line in outlook.lines}
    assert statuses["D2-B"] == "weak"
    assert statuses["D1-A"] == "strong"
    assert statuses["D3-E"] == "strong"
    drill = outlook.next_drill
    assert drill is not None
    assert (drill.template, drill.subdomain, drill.domain, drill.status) == (
        "drill-d2",
        "D2-B",
        "D2",
        "weak",
    )
    assert drill.template_title == "Drill: AI Risk Management"


def test_weak_areas_follow_the_configured_target(session, bank, user) -> None:
    # 70% right everywhere: comfortably above a 40% target, clearly below a 95% one.
    attempt = take(session, user, right=lambda item: item.position % 10 not in (1, 4, 7))
    low = card_of(session, user, attempt, target=0.4).outlook
    high = card_of(session, user, attempt, target=0.95).outlook
    assert not low.weak_areas
    assert len(high.weak_areas) >= 10
    assert low.readiness.pass_probability > 0.99 > 0.01 > high.readiness.pass_probability


def test_standing_pools_first_exposures_of_finished_mocks_only(session, bank, user) -> None:
    base = utcnow() - timedelta(days=3)
    first = take(session, user, when=base, right=lambda item: False)
    # None of these count: a drill, an untimed practice set, an unfinished mock.
    take(session, user, "quiz-20", when=base + timedelta(hours=6), kind="drill")
    take(session, user, "drill-d1", when=base + timedelta(hours=12))
    second = take(session, user, when=base + timedelta(days=1), right=lambda item: True)
    # (Opened last: a mock started beside an unfinished one shares none of its questions.)
    take(session, user, "quiz-20", when=utcnow(), submit=False)
    keys = lambda a: {i.question_id for i in a.items}  # noqa: E731
    repeated = keys(first) & keys(second)
    assert repeated, "the 130-item bank makes two 90-item mocks overlap"
    outlook = card_of(session, user, second).outlook
    assert outlook.mocks == 2
    assert outlook.standing.total == len(keys(first) | keys(second))
    # Repeats are counted once, as first seen (wrong), never as the later right answer.
    assert outlook.standing.correct == len(keys(second) - repeated)
    readiness = outlook.readiness
    assert readiness is not None
    assert readiness.pass_probability == pytest.approx(
        pass_probability(outlook.standing.correct, outlook.standing.total, form_size=90)
    )
    assert readiness.scaled_estimate == scaled_estimate(
        100 * outlook.standing.correct / outlook.standing.total
    )
    assert scorecards.build_history(session, user.id, target=TARGET).outlook == outlook


def test_a_scorecard_pools_only_the_mocks_finished_up_to_it(session, bank, user) -> None:
    base = utcnow() - timedelta(days=3)
    first = take(session, user, when=base, right=lambda item: False)
    before = card_of(session, user, first).outlook
    take(session, user, when=base + timedelta(days=1))
    after = card_of(session, user, first).outlook
    assert after.mocks == before.mocks == 1
    assert after.standing == before.standing
    history = scorecards.build_history(session, user.id, target=TARGET)
    assert history.outlook.mocks == 2


def test_no_mock_means_no_readiness_estimate(session, bank, user) -> None:
    drill = take(session, user, "drill-d3")
    card = card_of(session, user, drill)
    assert card.outlook.mocks == 0
    assert card.outlook.readiness is None
    assert not card.outlook.weak_areas
    assert {line.standing.status for line in card.outlook.lines} == {"needs more items"}
    data = card.to_dict()
    assert data["pass_probability"] is None
    assert data["weak_areas"] == []
    assert [code for code in data["by_domain"]] == ["D3"]


def test_pacing_of_a_timed_mock_and_of_untimed_practice(session, bank, user) -> None:
    mock = take(session, user, minutes=45, answer=lambda item: item.position <= 60)
    pacing = card_of(session, user, mock).pacing
    assert pacing is not None
    assert not pacing.timed_out
    assert (pacing.used_seconds, pacing.allowed_seconds) == (45 * 60, 180 * 60)
    assert pacing.allowance_per_item == 120
    assert pacing.seconds_per_answered == pytest.approx(45 * 60 / 60)
    drill = take(session, user, "drill-d1", minutes=10)
    card = card_of(session, user, drill)
    assert card.pacing is None
    assert card.elapsed_seconds == 600
    assert card.seconds_per_answered == 30


def test_the_next_drill_skips_domains_without_an_active_drill(session, bank, user) -> None:
    attempt = take(session, user, right=lambda item: item.version.subdomain not in ("D2-B", "D3-A"))
    assert card_of(session, user, attempt).outlook.next_drill.template == "drill-d2"
    drill = session.scalar(select(ExamTemplate).where(ExamTemplate.name == "drill-d2"))
    drill.is_active = False
    session.commit()
    suggestion = card_of(session, user, attempt).outlook.next_drill
    assert (suggestion.template, suggestion.subdomain) == ("drill-d3", "D3-A")
    for name in ("drill-d1", "drill-d3"):
        session.scalar(select(ExamTemplate).where(ExamTemplate.name == name)).is_active = False
    session.commit()
    assert card_of(session, user, attempt).outlook.next_drill is None


def test_the_result_is_json_ready(session, bank, user) -> None:
    attempt = take(session, user, right=lambda item: item.version.subdomain != "D2-B")
    data = json.loads(json.dumps(card_of(session, user, attempt).to_dict()))
    assert data["score"]["total"] == 90
    assert data["status"] == "submitted"
    assert set(data["by_domain"]["D1"]) >= {"correct", "total", "percent", "ci", "title"}
    assert data["by_subdomain"]["D2-B"]["percent"] == 0.0
    assert data["weak_areas"][0]["code"] == "D2-B"
    assert 0.0 <= data["pass_probability"] <= 1.0
    assert 200 <= data["scaled_estimate"] <= 800
    assert data["next_drill"]["template"] == "drill-d2"
    assert data["pacing"]["allowed_seconds"] == 10800
    assert data["submitted_at"].endswith("Z")


def test_the_domain_chart_is_built_from_the_grades(session, bank, user) -> None:
    attempt = take(session, user, right=lambda item: item.version.domain == "D1")
    chart = charts.attempt_domains(card_of(session, user, attempt))
    assert chart.startswith("<svg")
    assert 'role="img"' in chart
    assert "D1 AI Governance and Program Management: 100%, 28 of 28 correct" in chart
    assert "D2 AI Risk Management: 0%, 0 of 28 correct" in chart
    assert "Target: 65%." in chart


def test_review_shows_options_as_the_candidate_saw_them(session, bank, user) -> None:
    attempt = take(
        session,
        user,
        "quiz-20",
        right=lambda item: item.position % 2 == 0,
        answer=lambda item: item.position != 5,
        flag=lambda item: item.position in (3, 5),
    )
    review = review_of(session, user, attempt)
    assert review.total == 20
    assert len(review.items) == 20
    rows = {i.position: i for i in attempt.items}
    for shown in review.items:
        row = rows[shown.position]
        version = row.version
        assert [o.id for o in shown.options] == ["A", "B", "C", "D"]
        assert [o.text for o in shown.options] == [version.options[k] for k in row.option_order]
        assert [o.rationale for o in shown.options] == [
            version.rationales[k] for k in row.option_order
        ]
        assert shown.key == attempts.stored_to_choice(row, version.answer_index)
        assert [o.id for o in shown.options if o.is_key] == [shown.key]
        assert shown.references == tuple(version.references)
    fifth = next(i for i in review.items if i.position == 5)
    assert not fifth.answered
    assert not fifth.correct
    assert fifth.flagged
    assert not any(o.is_choice for o in fifth.options)
    second = next(i for i in review.items if i.position == 2)
    assert second.correct
    assert [o.id for o in second.options if o.is_choice] == [second.key]
    assert review.wrong == 10
    assert review.flagged == 2


def test_review_filters(session, bank, user) -> None:
    attempt = take(
        session,
        user,
        right=lambda item: item.position % 2 == 0,
        flag=lambda item: item.position in (1, 2, 3),
    )
    everything = review_of(session, user, attempt).items
    d2 = review_of(session, user, attempt, domain="D2").items
    assert len(d2) == 28
    assert {i.domain for i in d2} == {"D2"}
    sub = review_of(session, user, attempt, subdomain="D3-C").items
    assert sub
    assert {i.subdomain for i in sub} == {"D3-C"}
    both = review_of(session, user, attempt, domain="D3", subdomain="D3-C").items
    assert both == sub
    wrong = review_of(session, user, attempt, wrong_only=True).items
    assert [i.position for i in wrong] == list(range(1, 91, 2))
    flagged = review_of(session, user, attempt, flagged_only=True).items
    assert [i.position for i in flagged] == [1, 2, 3]
    combined = review_of(session, user, attempt, wrong_only=True, flagged_only=True).items
    assert [i.position for i in combined] == [1, 3]
    unfiltered = review_of(session, user, attempt)
    assert unfiltered.items == everything
    assert not unfiltered.filters.active
    assert [code for code, _ in unfiltered.domains] == ["D1", "D2", "D3"]
    assert len(unfiltered.subdomains) == 13


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"domain": "D9"}, "domain: 'D9' is not one of this exam's domains (D1, D2, D3)"),
        ({"subdomain": "D2-Z"}, "subdomain: 'D2-Z' is not one of this exam's subdomains"),
        ({"domain": "D1", "subdomain": "D2-B"}, "subdomain: D2-B belongs to domain D2, not D1"),
    ],
)
def test_review_refuses_filters_naming_what_the_exam_lacks(
    session, bank, user, filters, message
) -> None:
    attempt = take(session, user)
    with pytest.raises(ValidationFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        review_of(session, user, attempt, **filters)


def test_review_of_a_domain_drill_offers_only_its_domain(session, bank, user) -> None:
    drill = take(session, user, "drill-d2")
    review = review_of(session, user, drill)
    assert [code for code, _ in review.domains] == ["D2"]
    with pytest.raises(ValidationFailed, match="domain: 'D1'"):
        review_of(session, user, drill, domain="D1")


def test_history_lists_mocks_oldest_first_and_everything_else_apart(session, bank, user) -> None:
    base = utcnow() - timedelta(days=10)
    mocks = [take(session, user, when=base + timedelta(days=d)) for d in (0, 2, 4)]
    drill = take(session, user, "drill-d1", when=base + timedelta(days=5))
    running = take(session, user, "quiz-20", when=utcnow(), submit=False)
    other = UserFactory()
    take(session, other, "quiz-20")
    history = scorecards.build_history(session, user.id, target=TARGET)
    assert [m.attempt_id for m in history.mocks] == [m.id for m in mocks]
    assert [o.attempt_id for o in history.others] == [running.id, drill.id]
    assert history.others[0].score is None
    assert history.others[0].scaled_estimate is None
    assert history.mocks[0].scaled_estimate == scaled_estimate(history.mocks[0].score.percent)
    assert set(history.mocks[0].by_domain) == {"D1", "D2", "D3"}
    assert history.domains[0] == ("D1", "AI Governance and Program Management")
    assert history.outlook.mocks == 3
    for chart, chart_id in (
        (charts.history_trend(history), "trend-chart"),
        (charts.history_trend(history, narrow=True), "trend-chart-narrow"),
    ):
        assert chart is not None
        assert f'aria-labelledby="{chart_id}-title"' in chart
        assert "3 finished mocks, oldest first." in chart
        assert chart.count("<polyline") == 4  # D1, D2, D3 and overall


def test_history_of_a_new_candidate_is_empty(session, bank, user) -> None:
    history = scorecards.build_history(session, user.id, target=TARGET)
    assert history.mocks == ()
    assert history.others == ()
    assert charts.history_trend(history) == ""
    assert history.outlook.readiness is None
