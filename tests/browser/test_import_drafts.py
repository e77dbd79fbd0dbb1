"""Importing a Moodle GIFT file in Chromium: report, bulk set of sub-domain and difficulty, axe."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from exam_engine.models import Question
from tests.browser.conftest import axe_violations, describe, login, shoot
from tests.factories import UserFactory

MOODLE = Path(__file__).parents[1] / "unit" / "foreign" / "moodle_export.gift"


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_import_report_and_bulk_set(live_server, browser_page, session) -> None:
    UserFactory(role="instructor", email="author@example.com")
    session.commit()
    page = browser_page
    login(page, live_server, "author@example.com")
    page.goto(f"{live_server}/authoring/transfer")
    _accessible(page)
    page.get_by_label("File").set_input_files(str(MOODLE))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/authoring/import$"))
    assert "3 questions created as drafts" in page.locator("main").inner_text()
    _accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    shoot(page, "import-report-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "import-report-390")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_label("Choose D2-A-001").uncheck()
    page.get_by_label("Sub-domain").select_option("D1-C")
    page.get_by_label("Difficulty").select_option("medium")
    page.get_by_role("button", name="Set on chosen drafts").click()
    page.wait_for_url(re.compile(r"/authoring/\?"))
    assert "DRAFT-0001 is now D1-C-001" in page.locator(".flashes").inner_text()
    _accessible(page)
    shoot(page, "incomplete-drafts-1280")
    session.expire_all()
    assert set(session.scalars(select(Question.key))) == {"D2-A-001", "D1-C-001", "D1-C-002"}
