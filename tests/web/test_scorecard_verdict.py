"""The scorecard answers "am I ready?" first: verdict, evidence, top weak areas, pacing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from exam_engine.models import utcnow
from exam_engine.services import attempts, calibration
from tests.factories import UserFactory
from tests.support.irt import simulate
from tests.web.test_results import EMAIL, GRACE, finish, html


@pytest.fixture
def user(session):
    return UserFactory(email=EMAIL)


def verdict_of(page: str) -> str:
    """The verdict word shown at the top of a scorecard."""
    match = re.search(r'<span class="verdict-word">([^<]+)</span>', page)
    assert match, "no verdict on the page"
    return match.group(1)


def test_a_weak_mock_is_not_ready_and_says_what_it_rests_on(client, session, bank, user) -> None:
    attempt = finish(session, user, right=lambda item: item.position % 5 == 0)
    client.login(EMAIL)
    data = client.get(f"/api/v1/attempts/{attempt.id}/result").get_json()
    assert data["verdict"] == "not ready"
    basis = data["verdict_basis"]
    assert basis["source"] == "classical"
    assert (basis["attempts"], basis["items"]) == (1, 90)
    assert basis["pass_probability"] == data["pass_probability"]
    page = html(client.get(f"/attempts/{attempt.id}/scorecard"))
    assert verdict_of(page) == "Not ready"
    assert "Rests on your first answers to 90 questions in 1 finished mock" in page
    # The verdict comes before the score tiles.
    assert page.index('class="verdict-word"') < page.index('class="big-score"')


def test_a_strong_mock_is_ready(client, session, bank, user) -> None:
    attempt = finish(session, user)
    client.login(EMAIL)
    assert client.get(f"/api/v1/attempts/{attempt.id}/result").get_json()["verdict"] == "ready"
    assert verdict_of(html(client.get(f"/attempts/{attempt.id}/scorecard"))) == "Ready"


def test_scaled_estimate_and_pass_probability_share_the_pooled_evidence(
    client, session, bank, user
) -> None:
    when = utcnow() - timedelta(hours=3)
    finish(session, user, when=when)
    second = finish(session, user, right=lambda item: item.position % 5 == 0)
    client.login(EMAIL)
    data = client.get(f"/api/v1/attempts/{second.id}/result").get_json()
    pooled = data["outlook"]["readiness"]
    # Both pool the first answers of the two mocks; this attempt alone (18/90) is named apart.
    assert data["scaled_estimate"] == pooled["scaled_estimate"]
    assert data["pass_probability"] == pooled["pass_probability"]
    assert data["attempt_scaled_estimate"] < data["scaled_estimate"]
    assert data["verdict_basis"]["attempts"] == 2
    seen = data["outlook"]["items"]
    assert 90 < seen <= 180
    assert data["verdict_basis"]["items"] == seen
    page = html(client.get(f"/attempts/{second.id}/scorecard"))
    assert f"From the same {seen} first-seen questions as the pass probability" in page
    assert f"this attempt alone maps to {data['attempt_scaled_estimate']}" in page
    assert "This attempt alone." in page


def test_a_drill_alone_has_no_verdict(client, session, bank, user) -> None:
    attempt = finish(session, user, "drill-d1")
    client.login(EMAIL)
    data = client.get(f"/api/v1/attempts/{attempt.id}/result").get_json()
    assert data["verdict"] is None
    assert data["verdict_basis"] is None
    assert verdict_of(html(client.get(f"/attempts/{attempt.id}/scorecard"))) == "No verdict yet"


def test_with_calibration_the_verdict_uses_ability_and_says_so(client, session, bank, user) -> None:
    simulate(session, bank, persons=35)
    calibration.recalibrate(session, now=utcnow())
    attempt = finish(session, user)
    client.login(EMAIL)
    data = client.get(f"/api/v1/attempts/{attempt.id}/result").get_json()
    assert data["verdict_basis"]["source"] == "ability"
    assert data["verdict_basis"]["pass_probability"] == data["ability"]["pass_probability"]
    assert data["verdict"] == "ready"
    page = html(client.get(f"/attempts/{attempt.id}/scorecard"))
    assert "(calibrated ability)" in page
    assert "Rests on this attempt alone: 90 questions (90 answered)" in page


def test_top_three_weak_areas_each_beside_its_drill(client, session, bank, user) -> None:
    attempt = finish(session, user, right=lambda item: False)
    client.login(EMAIL)
    page = html(client.get(f"/attempts/{attempt.id}/scorecard"))
    weak = page[page.index('id="weak-heading"') : page.index('id="subdomains-heading"')]
    items = re.findall(r'<li class="weak-item">(.*?)</li>', weak, flags=re.S)
    assert len(items) == 3
    for item in items:
        code = re.search(r'<span class="code">(D\d)-', item).group(1)
        assert f'value="drill-{code.lower()}"' in item
        assert 'name="csrf_token"' in item
    assert "more marked weak in the" in weak


def _submit_after(session, user, seconds: float):
    start = utcnow() - timedelta(hours=4)
    attempt = attempts.start_attempt(session, user.id, "aaism-full", now=start)
    for item in attempt.items:
        item.choice = item.version.answer_index
    session.commit()
    attempts.submit_attempt(
        session, user.id, attempt.id, now=start + timedelta(seconds=seconds), grace_seconds=GRACE
    )
    return attempt


def test_pacing_flags_rushing_and_keeps_a_steady_pace_comfortable(
    client, session, bank, user
) -> None:
    rushed = _submit_after(session, user, 27)
    steady = _submit_after(session, user, 90 * 60)
    client.login(EMAIL)
    assert client.get(f"/api/v1/attempts/{rushed.id}/result").get_json()["pacing"]["status"] == (
        "rushing"
    )
    page = html(client.get(f"/attempts/{rushed.id}/scorecard"))
    assert "Rushing:" in page
    assert "Comfortably inside" not in page
    page = html(client.get(f"/attempts/{steady.id}/scorecard"))
    assert "Comfortably inside the allowance" in page
    assert "Rushing" not in page
