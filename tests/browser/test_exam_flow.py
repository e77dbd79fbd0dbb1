"""A candidate takes a mock in Chromium: keyboard and mouse, flag, reload, summary, submit."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from exam_engine.models import Attempt, AttemptItem
from tests.browser.conftest import axe_violations, describe, login, start_mock
from tests.factories import UserFactory
from tests.support import add_template, seed_bank


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_take_a_20_item_mock(live_server, browser_page, session) -> None:
    seed_bank(session, per_subdomain=4)
    UserFactory(email="taker@example.com")
    page = browser_page
    login(page, live_server, "taker@example.com")
    _accessible(page)

    start_mock(page, "Short mixed quiz")
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    attempt_url = page.url.rsplit("/q/", 1)[0]
    _accessible(page)

    # Question 1 by keyboard (B), flagged with F; question 2 by mouse; question 3 by "3".
    page.keyboard.press("b")
    page.keyboard.press("f")
    page.get_by_text(re.compile(r"Saved at \d\d:\d\d:\d\d")).wait_for()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"/q/2$"))
    page.locator("label[for=choice-D]").click()
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    page.get_by_role("button", name=re.compile("Save and next")).click()
    page.wait_for_url(re.compile(r"/q/3$"))
    page.keyboard.press("3")
    page.get_by_text(re.compile(r"Saved at")).wait_for()

    # Reload mid-exam: the answer and the clock are still there.
    before = page.locator("#timer").inner_text()
    page.reload()
    assert page.locator("#choice-C").is_checked()
    after = page.locator("#timer").inner_text()
    assert after <= before
    assert after.startswith("0:3")
    page.goto(f"{attempt_url}/q/1")
    assert page.locator("#choice-B").is_checked()
    assert page.locator("#flagged").is_checked()
    assert "flagged" in (page.locator('.nav-cell[data-position="1"]').get_attribute("class") or "")

    # Summary lists the unanswered and flagged questions.
    page.get_by_role("button", name="Review and submit").click()
    page.wait_for_url(re.compile(r"/summary$"))
    assert page.locator("#unanswered-heading").inner_text() == "Unanswered (17)"
    assert page.locator("#flagged-list").inner_text().strip() == "Question 1"
    # Submit and the warning sit above the fold, not under the lists.
    assert "17 questions unanswered" in page.locator("#unanswered-warning").inner_text()
    box = page.get_by_role("button", name="Submit exam").bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= page.viewport_size["height"]
    _accessible(page)

    # Submitting without the confirmation is refused; with it, the scorecard shows.
    page.get_by_role("button", name="Submit exam").click()
    assert "Tick the box" in page.locator("#confirm-error").inner_text()
    page.get_by_label("I have reviewed my answers").check()
    page.get_by_role("button", name="Submit exam").click()
    page.wait_for_url(re.compile(r"/scorecard$"))
    assert re.search(r"\d+ / 20", page.locator(".big-score").inner_text())
    _accessible(page)

    attempt = session.scalar(select(Attempt))
    session.refresh(attempt)
    assert attempt.status == "submitted"
    assert attempt.result["answered"] == 3


def test_short_timed_exam_expires_and_auto_submits(live_server, browser_page, session) -> None:
    seed_bank(session, per_subdomain=2)
    add_template(session, "sprint", item_count=4, minutes=1)
    user = UserFactory(email="sprinter@example.com")
    page = browser_page
    login(page, live_server, "sprinter@example.com")
    start_mock(page, "Sprint")
    page.wait_for_url(re.compile(r"/q/1$"))
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == user.id))
    # Bring the deadline close so the page's countdown reaches zero within the test.
    attempt.deadline_at = attempt.started_at + timedelta(seconds=1)
    session.commit()
    page.keyboard.press("a")
    page.reload()
    page.wait_for_url(re.compile(r"/scorecard$"), timeout=20_000)
    session.expire_all()
    finished = session.get(Attempt, attempt.id)
    assert finished.status in ("submitted", "expired")
    items = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    assert finished.result["answered"] == sum(i.choice is not None for i in items)
