"""The history page embeds the candidate's own sub-domain mastery over time."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from exam_engine.models import utcnow
from exam_engine.services import attempts, study
from exam_engine.services.catalog import bundled_blueprint
from tests.factories import UserFactory
from tests.support import seed_bank
from tests.web.test_results import assert_no_script_needed

EMAIL = "cand@example.com"
SUBDOMAINS = 13


@pytest.fixture
def bank(session):
    return seed_bank(session, per_subdomain=4)


def finish_quiz(session, user, *, days_ago: int, right_every: int = 2):
    """Finish a 20-item quiz, answering every ``right_every``-th item right."""
    when = utcnow() - timedelta(days=days_ago)
    attempt = attempts.start_attempt(session, user.id, "quiz-20", now=when)
    for item in attempt.items:
        key = item.version.answer_index
        item.choice = key if item.position % right_every == 0 else (key + 1) % 4
    session.commit()
    attempts.submit_attempt(
        session, user.id, attempt.id, now=when + timedelta(minutes=20), grace_seconds=30
    )
    return attempt


def mastery_section(page: str) -> str:
    start = page.index('aria-labelledby="mastery-heading"')
    return page[start : page.index("</section>", start)]


def test_history_shows_mastery_over_time_with_a_link_to_study(client, session, bank) -> None:
    user = UserFactory(email=EMAIL)
    finish_quiz(session, user, days_ago=9)
    finish_quiz(session, user, days_ago=2, right_every=3)
    client.login(EMAIL)
    response = client.get("/history")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    section = mastery_section(page)
    assert "Sub-domain mastery over time" in section
    assert 'id="mastery-table"' in section
    assert len(re.findall(r'<th scope="row">', section)) == SUBDOMAINS
    # Two finished quizzes: two columns of rates and a trend line per sub-domain.
    assert section.count('<br><span class="muted">mock</span>') == 2
    assert section.count('class="sparkline"') == SUBDOMAINS
    assert re.search(r'<td class="num">\d+%</td>', section)
    assert 'href="/study/"' in section
    assert "/bundle/app-scorecard-study.css" in page
    assert_no_script_needed(page)


def test_history_without_study_data_still_works(client, session, bank) -> None:
    UserFactory(email=EMAIL)
    client.login(EMAIL)
    response = client.get("/history")
    assert response.status_code == 200
    section = mastery_section(response.get_data(as_text=True))
    assert 'id="mastery-empty"' in section
    assert 'id="mastery-table"' not in section
    assert 'href="/study/"' in section


def test_history_shows_only_the_signed_in_candidates_mastery(client, session, bank) -> None:
    other = UserFactory(email="other@example.com")
    finish_quiz(session, other, days_ago=3)
    finish_quiz(session, other, days_ago=1)
    me = UserFactory(email=EMAIL)
    finish_quiz(session, me, days_ago=2)
    client.login(EMAIL)
    section = mastery_section(client.get("/history").get_data(as_text=True))
    # One point (mine), so no trend yet; the other candidate's two quizzes add nothing.
    assert section.count('<br><span class="muted">mock</span>') == 1
    assert 'class="sparkline"' not in section


def test_history_escapes_the_mastery_labels(client, session, bank, monkeypatch) -> None:
    hostile = '<script>alert("x")</script>'
    blueprint = bundled_blueprint()
    first = blueprint.domains[0]
    renamed = replace(first.subdomains[0], title=hostile)
    monkeypatch.setattr(
        study.observations,
        "bundled_blueprint",
        lambda: replace(
            blueprint,
            domains=(replace(first, subdomains=(renamed, *first.subdomains[1:])),)
            + blueprint.domains[1:],
        ),
    )
    user = UserFactory(email=EMAIL)
    finish_quiz(session, user, days_ago=1)
    client.login(EMAIL)
    page = client.get("/history").get_data(as_text=True)
    section = mastery_section(page)
    assert f'<abbr title="{hostile}' not in page
    assert "<script>" not in page
    assert '<abbr title="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;">' in section
