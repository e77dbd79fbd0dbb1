"""A candidate runs the adaptive readiness check in Chromium, from the dashboard to its verdict."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from exam_engine.models import AttemptItem, utcnow
from exam_engine.services import calibration
from tests.browser.conftest import axe_violations, describe, login
from tests.factories import UserFactory
from tests.support.irt import simulate
from tests.web.test_readiness_check import key_of


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_readiness_check_from_dashboard_to_verdict(live_server, browser_page, session, bank):
    simulate(session, bank, persons=35)
    calibration.recalibrate(session, now=utcnow())
    UserFactory(email="ready@example.com")
    page = browser_page
    login(page, live_server, "ready@example.com")
    _accessible(page)

    card = page.locator("#readiness-check")
    assert "Readiness check" in card.inner_text()
    card.get_by_role("button", name="Start Readiness check").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    attempt_id = int(re.search(r"/attempts/(\d+)/", page.url).group(1))
    _accessible(page)

    position = 1
    while True:
        heading = page.get_by_role("heading", level=1).inner_text()
        assert heading == f"Question {position} of up to 40"
        # No feedback and no way to review before the end: one question at a time.
        assert page.locator(".feedback, .is-key").count() == 0
        assert page.get_by_role("button", name="Review and submit").count() == 0
        key = key_of(session, attempt_id, position)
        page.locator(f"label[for=choice-{key}]").click()
        page.get_by_text(re.compile(r"Saved at")).wait_for()
        page.get_by_role("button", name=re.compile("Save and next")).click()
        page.wait_for_url(re.compile(rf"/attempts/{attempt_id}/(q/{position + 1}|scorecard)$"))
        if page.url.endswith("/scorecard"):
            break
        position += 1
        assert position <= 40
        if position == 2:
            _accessible(page)

    # The check stopped by its own rule: as many items were given as were answered.
    given = session.scalar(
        select(func.count()).select_from(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
    )
    assert given == position
    # The result: the verdict, the ability with its interval, how many questions it used.
    verdict = page.locator(".readiness-check-result")
    assert verdict.get_by_role("heading").inner_text() == "Readiness check: likely to pass"
    assert f"{position} questions, chosen one at a time" in verdict.inner_text()
    # The estimate it stopped on, beside the ability on the latest calibration.
    decided = verdict.locator(".check-decided").inner_text()
    assert re.search(
        r"stopped on its own estimate of your ability, -?\d\.\d\d \(95% interval -?\d\.\d\d "
        r"to -?\d\.\d\d, SE \d\.\d\d\), against a pass mark of -?\d\.\d\d",
        decided,
    ), decided
    ability = page.locator(".tile-ability")
    text = ability.inner_text()
    assert re.search(r"Ability\s+Estimate\s+-?\d\.\d\d ± \d\.\d\d", text, re.IGNORECASE), text
    assert re.search(r"95% interval -?\d\.\d\d to -?\d\.\d\d", text), text
    _accessible(page)

    # Asking for a next question after the end keeps the result (nothing is added).
    page.goto(f"{live_server}/attempts/{attempt_id}/next")
    page.wait_for_url(re.compile(rf"/attempts/{attempt_id}/scorecard$"))
    session.expire_all()
    assert (
        session.scalar(
            select(func.count())
            .select_from(AttemptItem)
            .where(AttemptItem.attempt_id == attempt_id)
        )
        == position
    )
