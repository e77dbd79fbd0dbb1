"""An instructor recomputes, sorts and filters item analysis, reads an item, opens its editor."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import numpy as np

from exam_engine.models import utcnow
from tests.browser.conftest import axe_violations, describe, login
from tests.factories import (
    ExamTemplateFactory,
    QuestionFactory,
    QuestionVersionFactory,
    UserFactory,
)
from tests.support import stored_attempt

N_ITEMS = 8
N_CANDIDATES = 45
MISKEYED = "D2-A-001"


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def seed_finished_mocks(session) -> None:
    """45 finished mocks of all eight items: a 2PL cohort with one miskeyed item.

    The miskeyed item's stored key is A, but the able candidates choose B: its discrimination
    comes out negative and B beats the key in the upper group. 45 responses per item is
    above the default minimum of 30, so no number is withheld.
    """
    rng = np.random.default_rng(4)
    template = ExamTemplateFactory(name="browser-mock", title="Browser mock", item_count=N_ITEMS)
    keys = [f"D2-A-{n:03d}" for n in range(1, N_ITEMS + 1)]
    versions = [
        QuestionVersionFactory(
            question=QuestionFactory(key=key), domain="D2", subdomain="D2-A", answer_index=0
        )
        for key in keys
    ]
    start = utcnow() - timedelta(days=2)
    for n in range(N_CANDIDATES):
        user = UserFactory()
        ability = rng.normal()
        answers = []
        for position, version in enumerate(versions, start=1):
            right = rng.random() < 1 / (1 + math.exp(-1.8 * (ability - (position - 4) / 3)))
            if version.question.key == MISKEYED:
                choice = 1 if right else int(rng.choice([0, 2, 3]))
            else:
                choice = 0 if right else int(rng.integers(1, 4))
            answers.append((version, choice))
        stored_attempt(
            session, user, template, answers, started=start + timedelta(minutes=n), seed=n
        )


def test_instructor_reads_item_analysis_and_opens_the_editor(live_server, browser_page, session):
    seed_finished_mocks(session)
    UserFactory(email="analyst@example.com", role="instructor")
    page = browser_page
    login(page, live_server, "analyst@example.com")
    page.goto(f"{live_server}/item-analysis/")
    assert page.get_by_role("heading", name="Item analysis", exact=True).is_visible()
    assert page.get_by_text("Not computed yet.").is_visible()

    # Recompute from the page (a POST with the page's CSRF token), then read the table.
    page.get_by_role("button", name="Recompute now").click()
    page.wait_for_url(re.compile(r"/item-analysis/$"))
    assert page.get_by_text(
        re.compile(rf"Recomputed: {2 * N_ITEMS} item rows from {N_CANDIDATES} finished mock")
    ).is_visible()
    table = page.locator("table.stats-table")
    assert table.locator("tbody tr").count() == N_ITEMS
    assert "Too few responses" not in table.inner_text()
    _accessible(page)

    # Sort by discrimination, lowest first: the miskeyed item leads, with a negative value.
    page.get_by_role("link", name="Discrimination", exact=True).click()
    page.wait_for_url(re.compile(r"sort=discrimination"))
    header = page.locator("th[aria-sort]")
    assert header.get_attribute("aria-sort") == "ascending"
    assert "Discrimination" in (header.text_content() or "")
    first_row = table.locator("tbody tr").first
    assert first_row.locator("th").inner_text().startswith(MISKEYED)
    values = [
        float(text)
        for text in table.locator("tbody tr td:nth-child(6)").all_inner_texts()
        if text.strip() not in ("", "–")
    ]
    assert values == sorted(values)
    assert values[0] < 0

    # The page says what share of items is flagged and why, per reason.
    summary = page.locator("section.flag-summary")
    assert re.search(rf"\d+ of {N_ITEMS} item versions", summary.inner_text())
    assert summary.locator("tbody tr").count() == 5

    # Filter to possible miskeys: only the planted item is left.
    page.get_by_label("Flag", exact=True).select_option("distractor-beats-key")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"flag=distractor-beats-key"))
    rows = table.locator("tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("th").inner_text().startswith(MISKEYED)
    assert "Possible miskey" in rows.first.inner_text()
    _accessible(page)

    # The item page: why it is flagged and the option table (A-D, then unanswered).
    rows.first.get_by_role("link", name=MISKEYED).click()
    page.wait_for_url(re.compile(r"/item-analysis/items/\d+"))
    assert page.get_by_role("heading", name=re.compile(MISKEYED)).first.is_visible()
    assert page.get_by_role("heading", name="Why this item is flagged").is_visible()
    options = page.locator("table.option-table tbody tr")
    assert options.count() == 5
    assert "key" in options.nth(0).inner_text()
    assert "Beats the key in the upper group" in options.nth(1).inner_text()
    assert options.nth(4).locator("td").first.inner_text() == "Unanswered"
    _accessible(page)

    # The editor link opens this question in the authoring editor.
    page.get_by_role("link", name=re.compile(r"Edit item")).click()
    page.wait_for_url(f"{live_server}/authoring/questions/{MISKEYED}/edit")
    assert page.get_by_role("heading", name=re.compile(rf"Edit {MISKEYED}")).is_visible()


def test_a_candidate_is_refused(live_server, browser_page, session):
    seed_finished_mocks(session)
    UserFactory(email="learner@example.com")
    page = browser_page
    login(page, live_server, "learner@example.com")
    assert page.get_by_role("link", name="Item analysis").count() == 0
    response = page.goto(f"{live_server}/item-analysis/")
    assert response is not None
    assert response.status == 403
    assert "Item analysis" not in page.title()
    assert MISKEYED not in page.content()
    response = page.goto(f"{live_server}/item-analysis/items/1")
    assert response is not None
    assert response.status == 403
