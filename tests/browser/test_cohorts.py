"""A bootcamp in Chromium: the instructor sets up a cohort, a student joins and sits the mock,
the instructor reads the heatmap and downloads its CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from exam_engine.models import Attempt
from tests.browser.conftest import axe_violations, describe, login
from tests.factories import UserFactory
from tests.support import add_template, seed_bank


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _logout(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login"))


def test_cohort_from_invite_to_heatmap_csv(live_server, browser_page, session) -> None:
    seed_bank(session, per_subdomain=2)
    add_template(session, "bootcamp-mini", item_count=4, minutes=10)
    UserFactory(email="coach@example.com", role="instructor", name="Coach Carter")
    UserFactory(email="kim@example.com", name="Kim Student")
    page = browser_page
    base = live_server

    # The instructor creates the cohort, a join code and the assigned mock.
    login(page, base, "coach@example.com")
    page.goto(f"{base}/cohorts/")
    page.get_by_label("Cohort name").fill("Browser bootcamp")
    page.get_by_role("button", name="Create cohort").click()
    page.wait_for_url(re.compile(r"/cohorts/\d+$"))
    cohort_url = page.url
    page.get_by_label("Valid for (days)").fill("7")
    page.get_by_role("button", name="Create a join code").click()
    code = page.locator(".join-code").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{10}", code)
    now = datetime.now(UTC)
    page.get_by_label("Mock to assign").select_option("bootcamp-mini")
    page.get_by_label("Opens (UTC)").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Closes (UTC)").fill((now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Assign").click()
    page.get_by_text("Mock assigned.").wait_for()
    _accessible(page)
    _logout(page)

    # The student joins by code and sits the assigned mock from the dashboard.
    login(page, base, "kim@example.com")
    page.goto(f"{base}/cohorts/")
    page.get_by_label("Join code").fill(code.lower())
    page.get_by_role("button", name="Find the cohort").click()
    _accessible(page)
    page.get_by_role("button", name="Join Browser bootcamp").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    panel = page.locator("#assigned-panel")
    assert "Bootcamp Mini" in panel.inner_text()
    assert "Browser bootcamp" in panel.inner_text()
    panel.get_by_role("link", name=re.compile("^Start")).click()
    page.wait_for_url(re.compile(r"/assignments/\d+/instructions$"))
    _accessible(page)
    page.get_by_role("button", name="Start the exam").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    for position in range(1, 5):
        page.locator("label[for=choice-A]").click()
        page.get_by_text(re.compile(r"Saved at")).wait_for()
        if position < 4:
            page.get_by_role("button", name=re.compile("Save and next")).click()
            page.wait_for_url(re.compile(rf"/q/{position + 1}$"))
    page.get_by_role("button", name="Review and submit").click()
    page.wait_for_url(re.compile(r"/summary$"))
    page.get_by_label("I have reviewed my answers").check()
    page.get_by_role("button", name="Submit exam").click()
    page.wait_for_url(re.compile(r"/scorecard$"))
    attempt = session.scalar(select(Attempt))
    session.refresh(attempt)
    assert attempt.status == "submitted"
    assert attempt.assignment_id is not None
    assert attempt.result["answered"] == 4
    _logout(page)

    # The instructor sees the student on the heatmap and downloads the CSV.
    login(page, base, "coach@example.com")
    page.goto(f"{cohort_url}/scorecard")
    heatmap = page.locator("table.heatmap")
    row = heatmap.locator("tbody tr", has_text="Kim Student")
    assert row.count() == 1
    correct, total = attempt.result["score"]["correct"], attempt.result["score"]["total"]
    assert row.locator("td.total").inner_text().strip() == f"{100 * correct / total:.0f}"
    _accessible(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Heatmap CSV").click()
    download = info.value
    assert download.suggested_filename.endswith("-scorecard.csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["email"] for r in rows] == ["kim@example.com"]
    assert rows[0]["overall_correct"] == str(correct)
    assert rows[0]["mocks_finished"] == "1"
    assert rows[0]["overall_percent"] == f"{100 * correct / total:.1f}"

    # Drill down: the student's page, then the attempt's scorecard.
    row.get_by_role("link", name="Kim Student").click()
    page.get_by_role("link", name="Scorecard of mock 1").click()
    page.wait_for_url(re.compile(r"/cohorts/\d+/attempts/\d+/scorecard$"))
    assert f"{correct} / {total}" in page.locator(".big-score").inner_text()
    _accessible(page)
    page.get_by_role("link", name="Review answers").click()
    page.wait_for_url(re.compile(r"/cohorts/\d+/attempts/\d+/review$"))
    assert page.locator(".review-item").count() == 4
    assert page.get_by_text("(Kim Student's answer)").count() == 4
    _accessible(page)
