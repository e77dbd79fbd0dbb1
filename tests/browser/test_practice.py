"""Practice that teaches: choose, change your mind, then check; only the check reveals."""

from __future__ import annotations

import re

from tests.browser.conftest import answer_keys, axe_violations, describe, login, shoot
from tests.factories import UserFactory
from tests.support import seed_bank


def _wrong(key: str) -> str:
    return "B" if key == "A" else "A"


def test_choose_change_then_check(live_server, browser_page, session) -> None:
    seed_bank(session, per_subdomain=7)
    UserFactory(email="learner@example.com")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, live_server, "learner@example.com")
    page.get_by_role("button", name="Start Drill: AI Risk Management").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    attempt_id = int(re.search(r"/attempts/(\d+)/", page.url).group(1))
    keys = answer_keys(session, attempt_id)
    wrong = _wrong(keys[0])

    # Choosing (key 1-4 or a click) saves and reveals nothing; the choice can change.
    page.keyboard.press(str("ABCD".index(wrong) + 1))
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    assert page.locator(".feedback, .is-key").count() == 0
    page.locator(f'label[for="choice-{keys[0]}"]').click()
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    page.reload()
    assert page.locator(f"#choice-{keys[0]}").is_checked()
    assert page.locator(".feedback").count() == 0

    # Check answer: the key, the rationales and the references; the options lock.
    page.get_by_role("button", name="Check answer").click()
    page.locator(".feedback.correct").wait_for()
    assert f"the best answer is {keys[0]}" in page.locator(".feedback").inner_text()
    assert page.locator(".rationales dd").count() == 4
    assert page.locator(f"#choice-{wrong}").is_disabled()
    assert page.get_by_role("button", name="Check answer").count() == 0
    violations = axe_violations(page)
    assert not violations, describe(violations)
    shoot(page, "practice-checked-1280")

    # Next item: a wrong choice, checked with Enter, shows the best answer and the miss.
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"/q/2$"))
    page.keyboard.press(_wrong(keys[1]).lower())
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    page.keyboard.press("Enter")
    page.locator(".feedback.incorrect").wait_for()
    assert page.locator(".option.is-wrong").count() == 1
    assert page.locator(".option.is-key").count() == 1
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "practice-checked-390")
    violations = axe_violations(page)
    assert not violations, describe(violations)
