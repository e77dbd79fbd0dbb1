"""Cohort pages on the ability scale: the toggle, the classical fallback, the CSV columns."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from sqlalchemy import select

from exam_engine.models import QuestionVersion, utcnow
from exam_engine.services import calibration, cohorts
from tests.factories import UserFactory
from tests.integration.test_cohorts import assign, sit, student_of
from tests.support.irt import simulate


@pytest.fixture
def instructor(session):
    return UserFactory(email="teach@example.com", role="instructor", name="Tess Teacher")


@pytest.fixture
def cohort(session, instructor):
    return cohorts.create_cohort(session, "Evening group", instructor.id)


@pytest.fixture
def sat(session, bank, instructor, cohort):
    """Ann answers every item of two 20-item mocks right, Bob every one of one wrong."""
    keys = {v.id: v.answer_index for v in session.scalars(select(QuestionVersion))}
    mock = assign(session, instructor, cohort, name="quiz-20")
    ann = student_of(cohort, email="ann@example.com", name="Ann")
    bob = student_of(cohort, email="bob@example.com", name="Bob")
    student_of(cohort, email="cid@example.com", name="Cid")  # never sits anything

    def right(item):
        return keys[item.question_version_id]

    first = sit(session, ann, mock, right)
    second = sit(session, bob, mock, lambda item: (keys[item.question_version_id] + 1) % 4)
    # Ann sits a second mock (all right again): her row pools both.
    again = sit(session, ann, assign(session, instructor, cohort, name="quiz-20"), right)
    return {"ann": (ann, first), "bob": (bob, second), "ann2": (ann, again)}


@pytest.fixture
def calibrated(session, bank) -> None:
    simulate(session, bank, persons=35)
    calibration.recalibrate(session, now=utcnow())


def text(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_ability_heatmap_shows_theta_and_se_per_domain(
    client, session, instructor, cohort, sat, calibrated
) -> None:
    client.login(instructor.email)
    page = text(client.get(f"/cohorts/{cohort.id}/scorecard?scale=ability"))
    assert '<table class="heatmap ability">' in page
    assert re.search(r'aria-current="true">Ability \(calibrated scale\)</a>', page)
    assert "Heatmap: students by domain, ability" in page
    view = cohorts.scorecard(session, cohort, target=0.65, with_abilities=True)
    assert view.abilities is not None
    assert view.abilities.available
    for name in ("ann", "bob"):
        user, _ = sat[name]
        ability = view.abilities.of(user.id)
        assert ability.available
        overall = ability.overall
        assert f"All: ability {overall.theta:.2f}, SE {overall.se:.2f}" in page
        for code in ("D1", "D2", "D3"):
            estimate = ability.by_domain[code]
            assert f"{code}: ability {estimate.theta:.2f}, SE {estimate.se:.2f}" in page
    # The batched estimate is ability_of on the row's pooled responses.
    scale = calibration.current_scale(
        session, min_attempts=30, weights={"D1": 28.0, "D2": 28.0, "D3": 34.0}
    )
    for name, ids in (("ann", [sat["ann"][1].id, sat["ann2"][1].id]), ("bob", [sat["bob"][1].id])):
        user = sat[name][0]
        found = calibration.attempt_responses(session, ids)
        pooled = [response for attempt_id in ids for response in found[attempt_id]]
        assert len(pooled) == 20 * len(ids)
        expected = calibration.ability_of(scale, pooled)
        got = view.abilities.of(user.id)
        assert got.overall.theta == pytest.approx(expected.overall.theta, abs=1e-9)
        assert got.overall.se == pytest.approx(expected.overall.se, abs=1e-9)
        assert got.pass_probability == pytest.approx(expected.pass_probability, abs=1e-9)
        assert set(got.by_domain) == set(expected.by_domain)
        for code, estimate in expected.by_domain.items():
            assert got.by_domain[code].theta == pytest.approx(estimate.theta, abs=1e-9)
            assert got.by_domain[code].se == pytest.approx(estimate.se, abs=1e-9)
    assert view.abilities.of(sat["ann"][0].id).overall.theta > view.abilities.cut
    assert view.abilities.cut > view.abilities.of(sat["bob"][0].id).overall.theta
    # Cid finished nothing: dashes, never an error.
    assert "All: no calibrated answers" in page
    # Student links and sort links stay on the ability scale.
    assert f'/cohorts/{cohort.id}/students/{sat["ann"][0].id}?scale=ability"' in page
    assert "sort=overall&amp;dir=asc&amp;scale=ability" in page


def test_sorting_on_the_ability_scale_orders_by_theta(
    client, session, instructor, cohort, sat, calibrated
) -> None:
    client.login(instructor.email)
    page = text(client.get(f"/cohorts/{cohort.id}/scorecard?scale=ability&sort=D1&dir=desc"))
    body = page.split("<tbody>", 1)[1]
    order = [body.index(f">{name}</a>") for name in ("Ann", "Bob", "Cid")]
    assert order == sorted(order)
    # The toggle back to percent keeps the sort.
    assert f'href="/cohorts/{cohort.id}/scorecard?sort=D1&amp;dir=desc#heatmap-heading"' in page
    ascending = text(client.get(f"/cohorts/{cohort.id}/scorecard?scale=ability&sort=D1"))
    body = ascending.split("<tbody>", 1)[1]
    # Rows without an ability (Cid) come last whichever the direction.
    assert body.index(">Bob</a>") < body.index(">Ann</a>") < body.index(">Cid</a>")


def test_thin_calibration_falls_back_to_percent_and_says_so(
    client, session, bank, instructor, cohort, sat
) -> None:
    client.login(instructor.email)
    page = text(client.get(f"/cohorts/{cohort.id}/scorecard?scale=ability"))
    assert f"Ability is not shown ({calibration.THIN_REASON})." in unescape(page)
    assert '<table class="heatmap">' in page
    assert "heatmap ability" not in page
    assert re.search(r'aria-current="true">Ability \(calibrated scale\)</a>', page)
    student = text(client.get(f"/cohorts/{cohort.id}/students/{sat['ann'][0].id}?scale=ability"))
    assert f"Ability is not shown ({calibration.THIN_REASON})." in unescape(student)
    assert "(100%)" in student  # the classical score stays
    rows = rows_of(client.get(f"/cohorts/{cohort.id}/scorecard.csv"))
    assert [r["email"] for r in rows] == ["ann@example.com", "bob@example.com", "cid@example.com"]
    assert rows[0]["overall_percent"] == "100.0"
    assert rows[1]["overall_percent"] == "0.0"
    assert all(r["ability"] == r["ability_se"] == r["D1 ability_se"] == "" for r in rows)


def test_percent_is_the_default_and_a_bad_scale_is_400(
    client, session, instructor, cohort, sat, calibrated
) -> None:
    client.login(instructor.email)
    page = text(client.get(f"/cohorts/{cohort.id}/scorecard"))
    assert '<table class="heatmap">' in page
    assert re.search(r'aria-current="true">Percent correct</a>', page)
    assert "Ability is not shown" not in page
    bad = client.get(f"/cohorts/{cohort.id}/scorecard?scale=logit")
    assert bad.status_code == 400
    assert "scale: &#39;logit&#39; is not a scale (use percent or ability)" in bad.get_data(
        as_text=True
    )
    student = client.get(f"/cohorts/{cohort.id}/students/{sat['ann'][0].id}?scale=logit")
    assert student.status_code == 400


def test_heatmap_csv_carries_percent_and_ability(
    client, session, instructor, cohort, sat, calibrated
) -> None:
    client.login(instructor.email)
    rows = rows_of(client.get(f"/cohorts/{cohort.id}/scorecard.csv?scale=ability"))
    view = cohorts.scorecard(session, cohort, target=0.65, with_abilities=True)
    by_email = {r["email"]: r for r in rows}
    for name in ("ann", "bob"):
        user, _ = sat[name]
        row = by_email[user.email]
        ability = view.abilities.of(user.id)
        assert row["ability"] == f"{ability.overall.theta:.3f}"
        assert row["ability_se"] == f"{ability.overall.se:.3f}"
        for code in ("D1", "D2", "D3"):
            assert row[f"{code} ability"] == f"{ability.by_domain[code].theta:.3f}"
            assert row[f"{code} ability_se"] == f"{ability.by_domain[code].se:.3f}"
            assert row[code]  # the percent column stays beside it
    assert by_email["ann@example.com"]["overall_percent"] == "100.0"
    assert float(by_email["ann@example.com"]["ability"]) > float(
        by_email["bob@example.com"]["ability"]
    )
    assert by_email["cid@example.com"]["ability"] == ""


def test_student_page_shows_each_sittings_ability(
    client, session, instructor, cohort, sat, calibrated
) -> None:
    client.login(instructor.email)
    ann, attempt = sat["ann"]
    percent = text(client.get(f"/cohorts/{cohort.id}/students/{ann.id}"))
    assert "(100%)" in percent
    # The attempts table stays in percent (the estimate above it may quote pooled ability).
    assert "&plusmn;" not in percent.split('id="attempts-heading"', 1)[1]
    page = text(client.get(f"/cohorts/{cohort.id}/students/{ann.id}?scale=ability"))
    expected = cohorts.attempt_abilities(session, [attempt.id])[attempt.id]
    assert expected.available
    overall = expected.overall
    assert f'{overall.theta:.2f}<span class="se"> &plusmn;{overall.se:.2f}</span>' in page
    for estimate in expected.by_domain.values():
        assert f"ability {estimate.theta:.2f}, standard error {estimate.se:.2f}" in page
    assert "(100%)" not in page
    assert re.search(r'aria-current="true">Ability \(calibrated scale\)</a>', page)


def test_ability_scale_query_count_does_not_grow_with_students(
    client, app, session, instructor, cohort, sat, calibrated
) -> None:
    from exam_engine.models import Assignment
    from tests.web.test_cohorts_pages import count_queries

    client.login(instructor.email)
    url = f"/cohorts/{cohort.id}/scorecard?scale=ability"
    client.get(url)
    with count_queries(app) as few:
        assert client.get(url).status_code == 200
    assignment = session.scalar(select(Assignment))
    for n in range(4):
        sit(session, student_of(cohort, email=f"more{n}@example.com"), assignment, lambda i: 0)
    with count_queries(app) as many:
        page = text(client.get(url))
    assert page.count("All: ability") == 6
    assert len(many) == len(few), many
