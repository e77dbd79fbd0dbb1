"""A timed mock like the real sitting: instructions, warnings, resume, navigator, guard."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from exam_engine.models import Attempt
from tests.browser.conftest import axe_violations, describe, login
from tests.factories import UserFactory
from tests.support import seed_bank

SHOTS = Path("/tmp/h16a-shots")
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_instructions_before_the_clock(live_server, browser_page, session) -> None:
    seed_bank(session, per_subdomain=4)
    user = UserFactory(email="sitter@example.com", time_multiplier=1.25)
    page = browser_page
    page.set_viewport_size(DESK)
    login(page, live_server, "sitter@example.com")
    page.get_by_role("link", name="Start Short mixed quiz").click()
    page.wait_for_url(re.compile(r"/exams/quiz-20/instructions$"))
    assert "50 minutes" in page.locator("#exam-minutes").inner_text()
    assert "1.25" in page.locator("#exam-minutes").inner_text()
    # Reading the instructions starts nothing.
    assert session.scalar(select(Attempt).where(Attempt.user_id == user.id)) is None
    _accessible(page)
    _shot(page, "instructions-1280")
    page.set_viewport_size(PHONE)
    _accessible(page)
    _shot(page, "instructions-390")
    page.get_by_role("button", name="Start the exam").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    assert page.locator("#timer").inner_text().startswith("0:49:") or page.locator(
        "#timer"
    ).inner_text().startswith("0:50:")
