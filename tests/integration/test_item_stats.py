"""Item-statistics service: first attempts, scopes, staleness, recompute, reads and the CLI."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sqlalchemy import func, insert, select

from exam_engine.domain.item_analysis import Thresholds
from exam_engine.models import (
    Attempt,
    AttemptItem,
    ItemStatistic,
    TemplateStatistic,
    utcnow,
)
from exam_engine.services import attempts, item_stats
from exam_engine.services.errors import NotFound, ValidationFailed
from tests.factories import (
    ExamTemplateFactory,
    QuestionFactory,
    QuestionVersionFactory,
    UserFactory,
)
from tests.support import seed_bank, stored_attempt

T0 = utcnow().replace(microsecond=0) - timedelta(days=30)


def add_attempt(session, user, template, answers, *, minutes=0, kind="mock", status="submitted"):
    """Store a finished (or not) attempt that showed ``answers``: [(version, stored choice)]."""
    started = T0 + timedelta(minutes=minutes)
    return stored_attempt(
        session, user, template, answers, started=started, seed=minutes, kind=kind, status=status
    )


def stat(session, version, template=""):
    return session.scalar(
        select(ItemStatistic).where(
            ItemStatistic.question_version_id == version.id, ItemStatistic.template == template
        )
    )


@pytest.fixture
def versions(session):
    return [QuestionVersionFactory(answer_index=i % 4) for i in range(6)]


@pytest.fixture
def two_templates(session):
    return ExamTemplateFactory(name="alpha"), ExamTemplateFactory(name="beta")


def recompute(session, minimum=1, now=None):
    return item_stats.recompute(session, now=now or utcnow(), min_responses=minimum)


# --- Which responses count -----------------------------------------------------------------


def test_only_each_users_first_finished_mock_exposure_counts(session, versions, two_templates):
    alpha, beta = two_templates
    v = versions
    ann, bob = UserFactory(), UserFactory()
    # Ann meets v0 first in alpha (wrong), then again in beta (right): only alpha counts.
    add_attempt(session, ann, alpha, [(v[0], 1), (v[1], 1), (v[2], 2)], minutes=1)
    add_attempt(session, ann, beta, [(v[0], 0), (v[3], 3)], minutes=2)
    # A drill, a review and an unfinished mock never count.
    add_attempt(session, ann, alpha, [(v[4], 0), (v[5], 1)], minutes=3, kind="drill")
    add_attempt(session, ann, alpha, [(v[4], 0), (v[5], 1)], minutes=4, kind="review")
    add_attempt(session, bob, alpha, [(v[4], 0), (v[5], 1)], minutes=5, status="in_progress")
    # Bob's expired mock counts; his first exposure is the earlier *started* attempt.
    add_attempt(session, bob, beta, [(v[0], 0), (v[4], 3)], minutes=7, status="expired")
    add_attempt(session, bob, alpha, [(v[0], 2), (v[1], 1)], minutes=6)
    report = recompute(session)
    assert report.attempts == 4
    assert report.responses == 7
    assert stat(session, v[0]).responses == 2
    assert stat(session, v[0], "alpha").responses == 2  # Ann's and Bob's alpha attempts
    assert stat(session, v[0], "beta") is None
    assert stat(session, v[0]).facility == 0.0  # both first exposures were wrong
    assert stat(session, v[3], "beta").responses == 1
    assert stat(session, v[4], "beta").responses == 1  # drills and the in-progress mock: no
    assert stat(session, v[5]) is None
    # Template rows: each user's first finished mock of that template; in alpha, Bob's form
    # of two items is left out of the test statistics since Ann's three-item form is the
    # (first) most common length.
    rows = {r.template: r for r in session.scalars(select(TemplateStatistic))}
    assert (rows["alpha"].attempts, rows["beta"].attempts, rows[""].attempts) == (1, 2, 4)
    assert rows["alpha"].values["excluded_attempts"] == 1
    assert rows["alpha"].values["responses"] == 5


def test_scopes_partition_the_all_templates_scope(session, two_templates):
    alpha, beta = two_templates
    bank = [QuestionVersionFactory(answer_index=0) for _ in range(8)]
    rng = np.random.default_rng(1)
    for n in range(40):
        shown = rng.choice(8, 4, replace=False)
        add_attempt(
            session,
            UserFactory(),
            alpha if n % 3 else beta,
            [(bank[i], int(rng.integers(0, 4))) for i in shown],
            minutes=n,
        )
    recompute(session)
    for version in bank:
        parts = [stat(session, version, name) for name in ("alpha", "beta")]
        assert sum(p.responses for p in parts if p) == stat(session, version).responses


def test_stored_numbers_match_an_independent_computation(session):
    template = ExamTemplateFactory(name="gamma")
    bank = [QuestionVersionFactory(answer_index=i % 4) for i in range(5)]
    rng = np.random.default_rng(7)
    marks: dict[int, list[tuple[float, float, int]]] = {v.id: [] for v in bank}
    for n in range(60):
        ability = rng.normal()
        form = [bank[i] for i in rng.choice(5, 4, replace=False)]
        right = [rng.random() < 1 / (1 + math.exp(-ability)) for _ in form]
        choices = [
            v.answer_index if r else (v.answer_index + 1) % 4
            for v, r in zip(form, right, strict=True)
        ]
        add_attempt(
            session, UserFactory(), template, list(zip(form, choices, strict=True)), minutes=n
        )
        total = sum(right)
        for v, r, c in zip(form, right, choices, strict=True):
            marks[v.id].append((float(r), (total - r) / 3, c))
    recompute(session)
    for version in bank:
        x, rest, _ = (np.array(col) for col in zip(*marks[version.id], strict=True))
        row = stat(session, version, "gamma")
        assert row.responses == x.size
        assert row.facility == pytest.approx(x.mean(), abs=1e-4)
        assert row.discrimination == pytest.approx(scipy_stats.pearsonr(x, rest)[0], abs=1e-4)
        assert row.values["sd"] == pytest.approx(np.std(x, ddof=1), abs=1e-4)
    test = session.scalar(select(TemplateStatistic).where(TemplateStatistic.template == "gamma"))
    assert test.attempts == 60
    assert test.values["items"] == 4
    assert test.values["alpha"] is not None
    assert sum(test.values["distribution"]) == 60


def test_minimum_responses_suppresses_numbers(session, versions):
    template = ExamTemplateFactory()
    for n in range(3):
        add_attempt(
            session, UserFactory(), template, [(versions[0], 0), (versions[1], 1)], minutes=n
        )
    recompute(session, minimum=4)
    row = stat(session, versions[0])
    assert row.responses == 3
    assert row.flags == ["too-few-responses"]
    assert row.facility is None
    assert row.discrimination is None
    assert row.values["suppressed"] is True
    assert row.values["min_responses"] == 4
    recompute(session, minimum=3)
    assert stat(session, versions[0]).facility == 1.0


# --- Recompute and staleness --------------------------------------------------------------------


def test_recompute_is_idempotent_and_replaces_rows(session, versions):
    template = ExamTemplateFactory()
    for n in range(5):
        add_attempt(
            session, UserFactory(), template, [(versions[0], n % 4), (versions[1], 1)], minutes=n
        )
    first = recompute(session)
    snapshot = sorted(
        (r.question_version_id, r.template, r.responses, r.facility, r.discrimination)
        for r in session.scalars(select(ItemStatistic))
    )
    second = recompute(session)
    again = sorted(
        (r.question_version_id, r.template, r.responses, r.facility, r.discrimination)
        for r in session.scalars(select(ItemStatistic))
    )
    assert snapshot == again
    assert first.rows == second.rows == 4
    assert session.scalar(select(func.count(ItemStatistic.id))) == 4


def test_recompute_with_nothing_to_analyse(session):
    report = recompute(session)
    assert (report.attempts, report.responses, report.rows) == (0, 0, 0)
    status = item_stats.scope_status(session, "")
    assert status.computed
    assert not status.stale
    assert status.attempts == 0


def test_finalize_marks_the_template_stale_and_recompute_clears_it(session):
    seed_bank(session, per_subdomain=3)
    user = UserFactory()
    now = utcnow()
    attempt = attempts.start_attempt(session, user.id, "quiz-20", now=now)
    assert item_stats.scope_status(session, "quiz-20").stale_since is None
    attempts.submit_attempt(session, user.id, attempt.id, now=now, grace_seconds=30)
    status = item_stats.scope_status(session, "quiz-20")
    assert status.stale_since == now
    assert not status.computed
    assert status.stale
    assert item_stats.scope_status(session, "").stale_since == now
    assert item_stats.scope_status(session, "aaism-full").stale_since is None
    recompute(session, now=now + timedelta(seconds=1))
    status = item_stats.scope_status(session, "quiz-20")
    assert status.computed
    assert not status.stale
    assert status.attempts == 1
    # A later submission makes it stale again, counting the attempts not yet analysed.
    later = now + timedelta(minutes=5)
    second = attempts.start_attempt(session, UserFactory().id, "quiz-20", now=later)
    attempts.submit_attempt(session, second.user_id, second.id, now=later, grace_seconds=30)
    status = item_stats.scope_status(session, "quiz-20")
    assert status.stale
    assert status.stale_since == later
    assert status.new_attempts == 1


def test_drills_do_not_make_statistics_stale(session):
    seed_bank(session, per_subdomain=6)
    user = UserFactory()
    attempt = attempts.start_attempt(session, user.id, "drill-d1", now=utcnow(), kind="drill")
    attempts.submit_attempt(session, user.id, attempt.id, now=utcnow(), grace_seconds=30)
    assert session.scalar(select(func.count(TemplateStatistic.id))) == 0


def test_mark_stale_does_not_commit_and_keeps_the_first_time(session, app):
    ExamTemplateFactory(name="delta")
    item_stats.mark_stale(session, "delta", now=T0)
    session.rollback()
    assert session.scalar(select(func.count(TemplateStatistic.id))) == 0
    item_stats.mark_stale(session, "delta", now=T0)
    item_stats.mark_stale(session, "delta", now=T0 + timedelta(minutes=1))
    item_stats.mark_stale(session, "delta", now=T0 + timedelta(minutes=2), kind="review")
    session.commit()
    row = session.scalar(select(TemplateStatistic).where(TemplateStatistic.template == "delta"))
    assert row.stale_since == T0
    assert row.values == {}


def test_an_attempt_finishing_during_a_recompute_keeps_the_mark(session, versions):
    template = ExamTemplateFactory(name="epsilon")
    add_attempt(session, UserFactory(), template, [(versions[0], 0), (versions[1], 0)])
    # The recompute's steps, with an attempt finishing between its read and its write.
    data = item_stats.load_responses(session)
    session.rollback()
    add_attempt(session, UserFactory(), template, [(versions[0], 1), (versions[1], 0)], minutes=1)
    item_stats.mark_stale(session, "epsilon", now=T0 + timedelta(minutes=31))
    session.commit()
    computed = item_stats.compute(data, Thresholds(min_responses=1))
    assert item_stats.refresh._write(session, computed, utcnow(), data.seen, Thresholds())
    session.commit()
    status = item_stats.scope_status(session, "epsilon")
    assert status.computed
    assert status.stale_since == T0 + timedelta(minutes=31)
    assert stat(session, versions[0]).responses == 1
    # The next recompute reads it and clears the mark.
    recompute(session)
    status = item_stats.scope_status(session, "epsilon")
    assert status.stale_since is None
    assert stat(session, versions[0]).responses == 2


def test_a_missed_attempt_marks_even_an_unmarked_template(session, versions):
    # The attempt's own mark may not have committed yet: the count alone keeps it stale.
    template = ExamTemplateFactory(name="kappa")
    data = item_stats.load_responses(session)
    session.rollback()
    add_attempt(session, UserFactory(), template, [(versions[0], 0), (versions[1], 0)])
    now = utcnow()
    item_stats.refresh._write(
        session, item_stats.compute(data, Thresholds()), now, data.seen, Thresholds()
    )
    session.commit()
    # No row for kappa existed, so none was written; a stored row would have been marked.
    assert item_stats.scope_status(session, "kappa").stale_since is None
    item_stats.mark_stale(session, "kappa", now=T0)
    session.commit()
    item_stats.refresh._write(
        session, item_stats.compute(data, Thresholds()), now, data.seen, Thresholds()
    )
    session.commit()
    assert item_stats.scope_status(session, "kappa").stale_since == T0


def test_an_older_recompute_does_not_overwrite_a_newer_one(session, versions):
    template = ExamTemplateFactory()
    add_attempt(session, UserFactory(), template, [(versions[0], 0), (versions[1], 0)])
    now = utcnow()
    recompute(session, now=now)
    add_attempt(session, UserFactory(), template, [(versions[0], 1), (versions[1], 0)], minutes=1)
    late = recompute(session, now=now - timedelta(seconds=5))
    assert late.skipped
    assert stat(session, versions[0]).responses == 1


def test_a_failed_recompute_leaves_the_stored_numbers(session, versions, monkeypatch):
    # On PostgreSQL the old rows are deleted while computing (see _clearing): a failure must
    # roll that back, and readers never see the table empty.
    template = ExamTemplateFactory()
    add_attempt(session, UserFactory(), template, [(versions[0], 0), (versions[1], 0)])
    recompute(session)
    before = session.scalar(select(func.count(ItemStatistic.id)))
    session.rollback()

    def broken(*args, **kwargs):
        raise RuntimeError("compute failed")

    monkeypatch.setattr(item_stats.refresh, "compute", broken)
    with pytest.raises(RuntimeError, match="compute failed"):
        recompute(session, now=utcnow() + timedelta(seconds=5))
    assert before == 4
    assert session.scalar(select(func.count(ItemStatistic.id))) == before


def test_templates_without_attempts_are_computed_as_empty(session, versions):
    template = ExamTemplateFactory(name="zeta")
    add_attempt(session, UserFactory(), template, [(versions[0], 0), (versions[1], 0)])
    item_stats.mark_stale(session, "eta-never-used", now=T0)
    session.commit()
    recompute(session)
    rows = {r.template: r for r in session.scalars(select(TemplateStatistic))}
    assert rows["eta-never-used"].attempts == 0
    assert rows["eta-never-used"].stale_since is None
    assert rows["eta-never-used"].values["items"] == 0


@pytest.mark.parametrize(
    ("config", "expected"),
    [({}, 30), ({"ITEM_STATS_MIN_RESPONSES": 12}, 12), ({"ITEM_STATS_MIN_RESPONSES": " 7 "}, 7)],
)
def test_min_responses_setting(config, expected):
    assert item_stats.min_responses_setting(config) == expected


@pytest.mark.parametrize("bad", [0, -1, "abc", 2.5, True, None, ""])
def test_bad_min_responses_setting_is_named(bad):
    with pytest.raises(ValidationFailed, match="ITEM_STATS_MIN_RESPONSES"):
        item_stats.min_responses_setting({"ITEM_STATS_MIN_RESPONSES": bad})
    with pytest.raises(ValidationFailed, match="min_responses"):
        item_stats.recompute(None, now=utcnow(), min_responses=0)  # type: ignore[arg-type]


# --- Reading -----------------------------------------------------------------------------------


@pytest.fixture
def analysed(session):
    """Twelve versions with different numbers of responses, analysed with minimum 3."""
    template = ExamTemplateFactory(name="theta")
    bank = [
        QuestionVersionFactory(question=QuestionFactory(key=f"D1-A-{i:03d}"), answer_index=0)
        for i in range(12)
    ]
    rng = np.random.default_rng(3)
    for n in range(30):
        form = [bank[i] for i in sorted(rng.choice(12, 6, replace=False))]
        add_attempt(
            session,
            UserFactory(),
            template,
            [(v, int(rng.integers(0, 4))) for v in form],
            minutes=n,
        )
    recompute(session, minimum=3)
    return bank


def test_list_items_filters_sorts_and_pages(session, analysed):
    everything = item_stats.list_items(session, "theta", sort="key")
    assert everything.all_items == everything.total == 12
    assert [r.key for r in everything.rows] == sorted(r.key for r in everything.rows)
    by_facility = item_stats.list_items(session, "theta", sort="facility", descending=True)
    values = [r.facility for r in by_facility.rows]
    assert values == sorted(values, reverse=True)
    flagged = item_stats.list_items(session, "theta", flag="any")
    assert flagged.total == everything.flag_counts["any"]
    assert all(r.review_flags for r in flagged.rows)
    searched = item_stats.list_items(session, "theta", search="a-00")
    assert {r.key for r in searched.rows} == {f"D1-A-{i:03d}" for i in range(10)}
    paged = item_stats.list_items(session, "theta", sort="key", per_page=5, page=9)
    assert (paged.page, paged.pages, len(paged.rows)) == (3, 3, 2)
    assert paged.rows[0].values["option_count"]
    assert item_stats.list_items(session, "theta", subdomain="D9-Z").total == 0


def test_undefined_numbers_sort_last_both_ways(session, analysed):
    template = ExamTemplateFactory(name="iota")
    rare = QuestionVersionFactory(question=QuestionFactory(key="D1-A-900"))
    add_attempt(session, UserFactory(), template, [(rare, 0), (analysed[0], 1)])
    recompute(session, minimum=3)
    for descending in (True, False):
        rows = item_stats.list_items(session, "", sort="discrimination", descending=descending)
        assert rows.rows[-1].key == "D1-A-900"
        assert rows.rows[-1].discrimination is None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sort": "bogus"}, ValidationFailed, "sort"),
        ({"flag": "bogus"}, ValidationFailed, "flag"),
        ({"page": 0}, ValidationFailed, "page"),
        ({"template": "no-such-template"}, NotFound, "no-such-template"),
    ],
)
def test_list_items_rejects_bad_arguments(session, analysed, kwargs, error, message):
    template = kwargs.pop("template", "theta")
    with pytest.raises(error, match=message):
        item_stats.list_items(session, template, **kwargs)


def test_item_detail(session, analysed):
    version = analysed[0]
    newer = QuestionVersionFactory(question=version.question, number=2, status="draft")
    detail = item_stats.item_detail(session, version.id, "theta")
    assert detail.key == "D1-A-000"
    assert detail.latest_number == 2
    assert detail.stat is not None
    assert detail.stat.template == "theta"
    assert {r.template for r in detail.scopes} == {"", "theta"}
    assert [r.number for r in detail.versions] == [1]
    assert item_stats.item_detail(session, newer.id).stat is None
    with pytest.raises(NotFound, match="question version"):
        item_stats.item_detail(session, 999_999)
    with pytest.raises(NotFound, match="template"):
        item_stats.item_detail(session, version.id, "nope")


# --- Simulation through the database -----------------------------------------------------------


def test_simulated_cohort_flags_the_planted_items(session):
    """A miskeyed item and one that measures nothing are flagged; good items are not."""
    rng = np.random.default_rng(17)
    template = ExamTemplateFactory(name="sim", item_count=15)
    n_items, n_people, form = 24, 700, 15
    a = rng.uniform(1.2, 2.0, n_items)
    b = rng.uniform(-0.7, 0.7, n_items)
    bank = [
        QuestionVersionFactory(question=QuestionFactory(key=f"D2-A-{i:03d}"), answer_index=i % 4)
        for i in range(n_items)
    ]
    miskeyed, flat = 0, 1  # item 0's real answer is the option after its stored key
    users = [UserFactory.build() for _ in range(n_people)]
    session.add_all(users)
    session.flush()
    rows = []
    for n, user in enumerate(users):
        attempt = Attempt(
            user_id=user.id,
            template_id=template.id,
            seed=n,
            kind="mock",
            status="submitted",
            started_at=T0 + timedelta(minutes=n),
            deadline_at=T0 + timedelta(minutes=n + 60),
            submitted_at=T0 + timedelta(minutes=n + 30),
        )
        session.add(attempt)
        session.flush()
        ability = rng.normal()
        for position, i in enumerate(rng.choice(n_items, form, replace=False), start=1):
            p = 0.5 if i == flat else 1 / (1 + math.exp(-1.7 * a[i] * (ability - b[i])))
            real = (bank[i].answer_index + (1 if i == miskeyed else 0)) % 4
            choice = real if rng.random() < p else (real + int(rng.integers(1, 4))) % 4
            rows.append(
                {
                    "attempt_id": attempt.id,
                    "position": position,
                    "question_id": bank[i].question_id,
                    "question_version_id": bank[i].id,
                    "option_order": [0, 1, 2, 3],
                    "choice": choice,
                    "flagged": False,
                    "last_seq": 0,
                }
            )
    session.execute(insert(AttemptItem), rows)
    session.commit()
    recompute(session, minimum=30)
    flags = {
        row.key: set(row.flags) for row in item_stats.list_items(session, "sim", per_page=100).rows
    }
    assert {"low-discrimination", "distractor-beats-key"} <= flags["D2-A-000"]
    assert "low-discrimination" in flags["D2-A-001"]
    assert {key: f for key, f in flags.items() if f and key not in {"D2-A-000", "D2-A-001"}} == {}
    test = item_stats.scope_status(session, "sim").values
    assert test["alpha"] > 0.5
    assert sum(test["distribution"]) == n_people


# --- The CLI ------------------------------------------------------------------------------------


def test_cli_recompute_text_and_json(app, session, analysed):
    runner = app.test_cli_runner()
    app.config["ITEM_STATS_MIN_RESPONSES"] = 3
    try:
        result = runner.invoke(args=["bank", "item-stats", "--recompute", "--template", "theta"])
    finally:
        app.config.pop("ITEM_STATS_MIN_RESPONSES")
    assert result.exit_code == 0, result.output
    assert "recomputed 24 item rows from 30 finished mock attempts" in result.output
    assert "Item analysis: theta" in result.output
    assert "alpha (KR-20)" in result.output
    assert "D1-A-000" in result.output
    result = runner.invoke(args=["bank", "item-stats", "--template", "theta", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["template"] == "theta"
    assert data["stale"] is False
    assert len(data["items"]) == 12
    stored = stat(session, analysed[0], "theta")
    first = next(i for i in data["items"] if i["version_id"] == analysed[0].id)
    assert first["facility"] == stored.facility
    assert first["option_r"] == stored.values["option_r"]
    assert data["test"]["alpha"] == item_stats.scope_status(session, "theta").values["alpha"]


def test_cli_flagged_and_if_stale(app, session, analysed):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bank", "item-stats", "--flagged", "--json"])
    items = json.loads(result.output)["items"]
    assert items
    assert all(set(i["flags"]) & item_stats.REVIEW_FLAGS for i in items)
    result = runner.invoke(args=["bank", "item-stats", "--recompute", "--if-stale"])
    assert result.exit_code == 0
    assert "up to date" in result.output
    item_stats.mark_stale(session, "theta", now=utcnow())
    session.commit()
    result = runner.invoke(args=["bank", "item-stats"])
    assert "stale:" in result.output
    result = runner.invoke(args=["bank", "item-stats", "--recompute", "--if-stale"])
    assert result.exit_code == 0
    assert "recomputed" in result.output
    # Recomputed with the app's default minimum of 30: every item now has too few.
    assert stat(session, analysed[0]).flags == ["too-few-responses"]


def test_cli_errors(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bank", "item-stats", "--template", "nope"])
    assert result.exit_code == 1
    assert "template 'nope' not found" in result.output
    result = runner.invoke(args=["bank", "item-stats", "--if-stale"])
    assert result.exit_code == 2
    assert "--if-stale" in result.output
    result = runner.invoke(args=["bank", "item-stats"])
    assert result.exit_code == 0
    assert "not computed yet" in result.output
    app.config["ITEM_STATS_MIN_RESPONSES"] = "lots"
    try:
        result = runner.invoke(args=["bank", "item-stats", "--recompute"])
    finally:
        app.config.pop("ITEM_STATS_MIN_RESPONSES")
    assert result.exit_code == 1
    assert "ITEM_STATS_MIN_RESPONSES" in result.output
    assert session.scalar(select(func.count(TemplateStatistic.id))) == 0


# --- Loading -----------------------------------------------------------------------------------


def plain_entries(session):
    """The entries of finished mock attempts through the generic driver fetch."""
    statement = (
        select(
            AttemptItem.attempt_id,
            AttemptItem.position,
            AttemptItem.question_version_id,
            func.coalesce(AttemptItem.choice, -1),
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(item_stats.fast_io.finished_mock())
    )
    rows = item_stats.fast_io.fetch_ints(session, statement, 4)
    return sorted(map(tuple, rows.tolist()))


def test_fast_loading_paths_match_the_plain_query(session, versions):
    template = ExamTemplateFactory()
    add_attempt(session, UserFactory(), template, [(versions[0], None), (versions[1], 3)])
    add_attempt(session, UserFactory(), template, [(versions[2], 0)], kind="drill")
    add_attempt(session, UserFactory(), template, [(versions[3], 1)], status="in_progress")
    add_attempt(session, UserFactory(), template, [(versions[4], 2)], status="expired")
    data = item_stats.load_responses(session)
    loaded = sorted(
        zip(
            data.attempt_ids[data.entry_attempt].tolist(),
            data.entry_position.tolist(),
            data.version_ids[data.entry_item].tolist(),
            data.entry_choice.tolist(),
            strict=True,
        )
    )
    assert loaded == plain_entries(session)
    assert [choice for *_, choice in loaded] == [-1, 3, 2]
    assert data.keys.tolist() == [v.answer_index for v in (versions[0], versions[1], versions[4])]


def test_positions_too_large_to_pack_fall_back_to_the_plain_query(session, versions, app):
    template = ExamTemplateFactory()
    attempt = add_attempt(session, UserFactory(), template, [(versions[0], 0), (versions[1], 1)])
    attempt.items[1].position = 5000
    session.commit()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert item_stats.fast_io._sqlite_packed(session, attempt.id) is None
        assert item_stats.fast_io._sqlite_packed(session, 2**60) is None
    data = item_stats.load_responses(session)
    assert sorted(data.entry_position.tolist()) == [1, 5000]
