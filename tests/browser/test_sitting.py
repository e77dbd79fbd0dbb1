"""A timed mock like the real sitting: instructions, warnings, resume, navigator, guard."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from exam_engine.models import Attempt, utcnow
from tests.browser.conftest import axe_violations, describe, login, shoot
from tests.factories import UserFactory
from tests.support import seed_bank

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _shot(page, name: str) -> None:
    shoot(page, name)


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


def _sit_quiz(page, live_server, session, email: str) -> int:
    """A new candidate with a bank, signed in at desk size, in a started 20-item quiz."""
    seed_bank(session, per_subdomain=4)
    UserFactory(email=email)
    page.set_viewport_size(DESK)
    return _start_quiz(page, live_server, email)


def _start_quiz(page, live_server, email: str) -> int:
    login(page, live_server, email)
    page.get_by_role("link", name="Start Short mixed quiz").click()
    page.get_by_role("button", name="Start the exam").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    return int(re.search(r"/attempts/(\d+)/", page.url).group(1))


def test_time_warnings_show_and_dismiss(live_server, browser_page, session, app) -> None:
    page = browser_page
    attempt_id = _sit_quiz(page, live_server, session, "warned@example.com")
    # The server's clock moves to 62 seconds before the deadline: the page counts down past
    # the one-minute mark within a few seconds (the earlier marks passed while away: no banner).
    attempt = session.get(Attempt, attempt_id)
    shift = attempt.deadline_at - timedelta(seconds=62) - attempt.started_at
    app.config["CLOCK"] = lambda: utcnow() + shift
    try:
        page.goto(f"{live_server}/attempts/{attempt_id}/q/2")
        warning = page.locator(".time-warning")
        assert warning.count() == 0
        warning.wait_for(timeout=8_000)
        assert warning.inner_text().startswith("1 minute left.")
        assert page.locator("#timer-announce").get_attribute("aria-live") == "assertive"
        _accessible(page)
        _shot(page, "warning-1280")
        page.set_viewport_size(PHONE)
        _shot(page, "warning-390")
        # Not dismissed, it follows the candidate to the next question; dismissed, it stays so.
        page.keyboard.press("ArrowRight")
        page.wait_for_url(re.compile(r"/q/3$"))
        assert page.locator(".time-warning").inner_text().startswith("1 minute left.")
        warning.get_by_role("button", name="Dismiss").click()
        assert page.locator(".time-warning").count() == 0
        page.keyboard.press("ArrowLeft")
        page.wait_for_url(re.compile(r"/q/2$"))
        page.wait_for_timeout(1500)
        assert page.locator(".time-warning").count() == 0
    finally:
        app.config.pop("CLOCK", None)


def test_navigator_and_the_flagged_only_pass(live_server, browser_page, session) -> None:
    page = browser_page
    _sit_quiz(page, live_server, session, "flagger@example.com")
    # Answer 1, flag 2 and 4 (4 also answered), by keyboard.
    page.keyboard.press("a")
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"/q/2$"))
    page.keyboard.press("f")
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    page.goto(page.url.replace("/q/2", "/q/4"))
    page.keyboard.press("c")
    page.keyboard.press("f")
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    page.reload()
    cell = page.locator('.nav-cell[data-position="4"]')
    assert cell.get_attribute("aria-label") == "Question 4, answered, flagged, current"
    assert cell.locator(".flag-icon").is_visible()
    assert not page.locator('.nav-cell[data-position="1"] .flag-icon').is_visible()
    filled = cell.evaluate("e => getComputedStyle(e).backgroundColor")
    empty = page.locator('.nav-cell[data-position="3"]').evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert filled != empty
    assert cell.evaluate("e => getComputedStyle(e).boxShadow") != "none"
    _accessible(page)
    _shot(page, "navigator-1280")

    # Next flagged cycles from 4 back to 2.
    page.get_by_role("button", name=re.compile("Next flagged")).click()
    page.wait_for_url(re.compile(r"/q/2$"))
    # The flagged-only pass: only 2 and 4 in the grid; the arrow keys step between them.
    page.get_by_role("link", name=re.compile(r"Flagged only \(2\)")).click()
    page.wait_for_url(re.compile(r"/q/2\?only=flagged$"))
    positions = page.locator(".navigator ol .nav-cell").evaluate_all(
        "cells => cells.map(c => c.dataset.position)"
    )
    assert positions == ["2", "4"]
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"/q/4\?only=flagged$"))
    page.set_viewport_size(PHONE)
    _accessible(page)
    _shot(page, "navigator-flagged-390")
    page.get_by_role("button", name=re.compile("Save and review")).click()
    page.wait_for_url(re.compile(r"/summary$"))


def test_strike_through_is_kept_and_never_an_answer(live_server, browser_page, session) -> None:
    page = browser_page
    attempt_id = _sit_quiz(page, live_server, session, "striker@example.com")
    page.get_by_role("button", name="Strike out option B").click()
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    page.keyboard.press("s")
    page.keyboard.press("3")
    page.wait_for_function(
        "() => document.getElementById('save-status').textContent.startsWith('Saved at')"
    )
    page.reload()
    assert page.locator(".option.struck").count() == 2
    assert (
        page.get_by_role("button", name="Strike out option C").get_attribute("aria-pressed")
        == "true"
    )
    assert not page.locator("#choice-B").is_checked()
    assert (
        page.locator('.nav-cell[data-position="1"]')
        .get_attribute("aria-label")
        .startswith("Question 1, unanswered")
    )
    page.keyboard.press("a")
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    data = page.evaluate(
        f"() => fetch('/api/v1/attempts/{attempt_id}', {{credentials: 'same-origin'}})"
        ".then(r => r.json())"
    )
    assert data["responses"][0] == {
        "position": 1,
        "choice": "A",
        "flagged": False,
        "struck": ["B", "C"],
    }
    _accessible(page)
    _shot(page, "strike-1280")
    page.set_viewport_size(PHONE)
    _accessible(page)
    _shot(page, "strike-390")


def test_leaving_a_running_timed_exam_asks_first(live_server, browser_page, session) -> None:
    page = browser_page
    _sit_quiz(page, live_server, session, "leaver@example.com")
    seen: list[tuple[str, str]] = []
    answer = {"accept": False}

    def on_dialog(dialog) -> None:
        seen.append((dialog.type, dialog.message))
        if answer["accept"]:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", on_dialog)
    page.keyboard.press("b")
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    # Moving inside the exam asks nothing.
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"/q/2$"))
    page.locator('.nav-cell[data-position="5"]').click()
    page.wait_for_url(re.compile(r"/q/5$"))
    assert seen == []
    # A header link asks; staying keeps the exam open.
    page.get_by_role("link", name="Dashboard", exact=True).click()
    assert seen
    assert seen[-1][0] == "confirm"
    assert "clock keeps running" in seen[-1][1]
    assert page.url.endswith("/q/5")
    page.get_by_role("button", name="Sign out").click()
    assert seen[-1][0] == "confirm"
    assert page.url.endswith("/q/5")
    # Closing the tab asks too (beforeunload); dismissed, the page stays.
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert seen[-1][0] == "beforeunload"
    assert not page.is_closed()
    # Confirmed, the header link leaves without a second question.
    answer["accept"] = True
    count = len(seen)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert [kind for kind, _ in seen[count:]] == ["confirm"]
    # Resume opens the question last viewed, not question 1.
    page.get_by_role("link", name="Resume Short mixed quiz").click()
    page.wait_for_url(re.compile(r"/q/5$"))
    assert page.locator('.nav-cell[data-position="1"]').get_attribute("class").count("answered")
    _accessible(page)


def test_a_touch_screen_gets_no_keyboard_help(live_server, _browser, session) -> None:
    seed_bank(session, per_subdomain=4)
    UserFactory(email="phone@example.com")
    context = _browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        login(page, live_server, "phone@example.com")
        page.get_by_role("link", name="Start Short mixed quiz").click()
        page.wait_for_url(re.compile(r"/exams/quiz-20/instructions$"))
        assert page.evaluate("matchMedia('(hover: none) and (pointer: coarse)').matches")
        assert page.locator(".keyboard-help").count() == 2
        assert not page.locator(".keyboard-help").first.is_visible()
        page.get_by_role("button", name="Start the exam").click()
        page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
        assert page.locator(".keyboard-help").count() == 1
        assert not page.locator(".keyboard-help").is_visible()
        _accessible(page)
    finally:
        context.close()
    # A desk browser with a mouse still shows it.
    desk = _browser.new_context(viewport=DESK)
    try:
        page = desk.new_page()
        login(page, live_server, "phone@example.com")
        page.goto(live_server + "/exams/quiz-20/instructions")
        assert page.locator(".keyboard-help").first.is_visible()
    finally:
        desk.close()
