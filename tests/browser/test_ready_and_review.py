"""The scorecard's verdict and the answer review, at desktop and phone sizes, with axe."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

from exam_engine.models import utcnow
from exam_engine.services import attempts
from tests.browser.conftest import axe_violations, describe, login
from tests.factories import UserFactory
from tests.support import seed_bank

EMAIL = "ready@example.com"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
# Screenshots for a person to look at; kept only when the variable names a folder.
SHOTS = os.environ.get("SCREENSHOTS_DIR")


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _shoot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


def _finished_mock(session, user, *, seconds: float) -> int:
    """A full mock answered by position (four in five wrong), submitted after ``seconds``."""
    start = utcnow() - timedelta(hours=4)
    attempt = attempts.start_attempt(session, user.id, "aaism-full", now=start)
    for item in attempt.items:
        key = item.version.answer_index
        if item.position % 7:
            item.choice = key if item.position % 5 == 0 else (key + 1) % 4
        item.flagged = item.position in (3, 9)
    session.commit()
    attempts.submit_attempt(
        session, user.id, attempt.id, now=start + timedelta(seconds=seconds), grace_seconds=30
    )
    return attempt.id


def test_scorecard_leads_with_the_verdict_at_both_sizes(live_server, browser_page, session) -> None:
    seed_bank(session, per_subdomain=12)
    user = UserFactory(email=EMAIL)
    attempt_id = _finished_mock(session, user, seconds=27)
    page = browser_page
    login(page, live_server, EMAIL)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server}/attempts/{attempt_id}/scorecard")
        verdict = page.locator(".verdict")
        assert verdict.locator(".verdict-word").inner_text() == "Not ready"
        box = verdict.bounding_box()
        # The answer to "am I ready?" is on the first screen.
        assert box is not None
        assert box["y"] + box["height"] <= height
        assert "finished mock" in verdict.inner_text()
        assert page.get_by_text(re.compile(r"^Rushing:")).count() == 1
        drills = page.locator(".weak-item form button")
        assert drills.count() == 3
        # Each drill button sits beside (not below a list under) its weak area.
        first = page.locator(".weak-item").first.bounding_box()
        button = drills.first.bounding_box()
        assert first is not None
        assert button is not None
        assert first["y"] <= button["y"] <= first["y"] + first["height"]
        _accessible(page)
        _shoot(page, f"scorecard-{size}")
        page.locator("#weak-heading").scroll_into_view_if_needed()
        _shoot(page, f"scorecard-weak-{size}")


def test_an_instructor_lands_on_their_home_at_both_sizes(
    live_server, browser_page, session
) -> None:
    UserFactory(email="coach@example.com", role="instructor", name="Coach Home")
    page = browser_page
    login(page, live_server, "coach@example.com")
    assert page.url == f"{live_server}/instructor"
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server}/instructor")
        for name in ("Your cohorts", "Waiting for your review", "Recent imports"):
            assert page.get_by_role("heading", name=re.compile(name)).is_visible()
        assert page.get_by_role("heading", name=re.compile("Flagged by item analysis")).count()
        _accessible(page)
        _shoot(page, f"instructor-home-{size}")


def test_review_is_paged_with_a_jump_list_search_and_times(
    live_server, browser_page, session
) -> None:
    seed_bank(session, per_subdomain=12)
    user = UserFactory(email=EMAIL)
    attempt_id = _finished_mock(session, user, seconds=50 * 60)
    page = browser_page
    login(page, live_server, EMAIL)
    url = f"{live_server}/attempts/{attempt_id}/review"
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(url)
        assert page.locator("article.review-item").count() == 10
        assert page.locator(".jump-list .jump").count() == 90
        # Jump to question 57: its page opens at it.
        page.get_by_role("link", name=re.compile(r"^Question 57,")).click()
        page.wait_for_url(re.compile(r"page=6#q57$"))
        assert page.locator("#q57").is_visible()
        # Correct answers are collapsed, wrong ones open.
        assert not page.locator("#q60 .rationale").first.is_visible()
        assert page.locator("#q57 .rationale").first.is_visible()
        height_of_page = page.evaluate("document.documentElement.scrollHeight")
        assert height_of_page < 12_000
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
            " > document.documentElement.clientWidth).slice(0, 5).map(e => e.tagName + '.' +"
            " e.className + ' ' + e.getBoundingClientRect().right)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
        _accessible(page)
        _shoot(page, f"review-{size}")
    # Search the stems and keep only wrong answers, without JavaScript needed (GET form).
    stem = page.locator("#q57 .stem").inner_text()
    words = " ".join(stem.split()[:4])
    page.goto(url)
    page.get_by_label("Search the questions").fill(words)
    page.get_by_label("Result").select_option("wrong")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"result=wrong"))
    positions = page.locator("article.review-item h2").all_inner_texts()
    assert "Question 57" in positions
    assert page.locator(".jump.is-out").count() >= 90 - len(positions)
    _accessible(page)
    page.locator(".jump-card").scroll_into_view_if_needed()
    _shoot(page, "review-filtered-phone")
