"""The cohort heatmap's ability scale in Chromium: reached by keyboard, accessible, linked."""

from __future__ import annotations

import re

from sqlalchemy import select

from exam_engine.models import QuestionVersion, utcnow
from exam_engine.services import calibration, cohorts
from tests.browser.conftest import axe_violations, describe, login
from tests.factories import UserFactory
from tests.integration.test_cohorts import assign, sit, student_of
from tests.support.irt import simulate


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_heatmap_toggles_to_ability_by_keyboard(live_server, browser_page, session, bank):
    keys = {v.id: v.answer_index for v in session.scalars(select(QuestionVersion))}
    teacher = UserFactory(email="coach@example.com", role="instructor", name="Coach")
    cohort = cohorts.create_cohort(session, "Ability group", teacher.id)
    mock = assign(session, teacher, cohort, name="quiz-20")
    ann = student_of(cohort, email="ann@example.com", name="Ann")
    sit(session, ann, mock, lambda item: keys[item.question_version_id])
    simulate(session, bank, persons=35)
    calibration.recalibrate(session, now=utcnow())
    page = browser_page
    base = live_server
    login(page, base, "coach@example.com")
    page.goto(f"{base}/cohorts/{cohort.id}/scorecard")
    toggle = page.get_by_role("link", name="Ability (calibrated scale)")
    toggle.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"scale=ability"))
    assert page.locator("table.heatmap.ability").count() == 1
    assert (
        page.get_by_role("link", name="Ability (calibrated scale)").get_attribute("aria-current")
        == "true"
    )
    cell = page.locator("table.heatmap.ability tbody tr").first.locator("td.total")
    assert re.fullmatch(r"-?\d\.\d\d ±\d\.\d\d", cell.inner_text().strip())
    _accessible(page)
    page.get_by_role("link", name="Ann").click()
    page.wait_for_url(re.compile(rf"/students/{ann.id}\?scale=ability$"))
    # The attempts table switches its score column to ability (the trend table always has one).
    attempts_table = page.locator("section[aria-labelledby=attempts-heading]")
    assert attempts_table.get_by_role("columnheader", name="Ability").count() == 1
    _accessible(page)
    page.goto(f"{base}/item-analysis/items/{bank[0].id}")
    assert page.get_by_role("heading", name="Calibration (IRT)").count() == 1
    _accessible(page)
