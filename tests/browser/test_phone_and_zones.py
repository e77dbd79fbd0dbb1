"""Phones, time zones, the student drill-down and the printed scorecard, in Chromium.

Each page is audited with axe at 1280x800 and 390x844; screenshots are kept only when
SCREENSHOTS_DIR names a folder.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from exam_engine.models import User, utcnow
from exam_engine.services import attempts, cohorts
from tests.browser.conftest import axe_violations, describe, login, shoot
from tests.factories import MembershipFactory, UserFactory
from tests.support import add_template, seed_bank

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
SIZES = {"1280": DESK, "390": PHONE}


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _finish(session, user, template: str, right: int, *, assignment_id: int | None = None):
    """A finished attempt with the first ``right`` positions answered right, the rest wrong."""
    now = utcnow() - timedelta(minutes=30)
    if assignment_id is None:
        attempt = attempts.start_attempt(session, user.id, template, now=now)
    else:
        attempt = cohorts.start_assignment(
            session, user.id, assignment_id, now=now, grace_seconds=30
        )
    for item in attempt.items:
        key = item.version.answer_index
        item.choice = key if item.position <= right else (key + 1) % 4
    session.commit()
    attempts.submit_attempt(session, user.id, attempt.id, now=now, grace_seconds=30)
    return attempt


@pytest.fixture
def classroom(session):
    """An instructor (Paris) with a cohort of three students who finished two assigned mocks."""
    seed_bank(session, per_subdomain=2)
    add_template(session, "tiny", item_count=12, minutes=10)
    teacher = UserFactory(
        email="coach@example.com", role="instructor", name="Coach Carter", time_zone="Europe/Paris"
    )
    cohort = cohorts.create_cohort(session, "Phone cohort", teacher.id)
    now = utcnow()
    lines = [
        cohorts.create_assignment(
            session,
            teacher.id,
            cohort,
            "tiny",
            opens_at=now - timedelta(hours=3),
            closes_at=now + timedelta(days=1),
        )
        for _ in range(2)
    ]
    students = []
    for n, name in enumerate(("Ann Alvarez-Longname", "Bo Brown", "Cy Chen")):
        student = UserFactory(email=f"s{n}@example.com", name=name, time_zone="Asia/Tokyo")
        MembershipFactory(cohort=cohort, user=student)
        for k, line in enumerate(lines):
            _finish(session, student, "tiny", 3 + 3 * k + n, assignment_id=line.id)
        students.append(student)
    return teacher, cohort, students


def test_phone_header_is_one_short_row_with_a_menu(live_server, browser_page, classroom) -> None:
    teacher, cohort, _ = classroom
    page = browser_page
    page.set_viewport_size(PHONE)
    login(page, live_server, teacher.email)
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 64, header
    toggle = page.get_by_role("button", name="Menu")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert toggle.get_attribute("aria-controls") == "site-nav"
    assert not page.get_by_role("link", name="Cohorts").is_visible()
    _accessible(page)
    shoot(page, "phone-header-closed-390", full_page=False)
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    cohorts_link = page.locator("#site-nav").get_by_role("link", name="Cohorts")
    assert cohorts_link.is_visible()
    assert cohorts_link.bounding_box()["height"] >= 44
    _accessible(page)
    shoot(page, "phone-header-open-390", full_page=False)
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not cohorts_link.is_visible()
    toggle.click()
    cohorts_link.click()
    page.wait_for_url(re.compile(r"/cohorts/$"))


def test_desk_header_does_not_wrap_for_an_admin(live_server, browser_page, session) -> None:
    UserFactory(email="root@example.com", role="admin", name="Alexandra Administrator-Smith")
    page = browser_page
    page.set_viewport_size(DESK)
    login(page, live_server, "root@example.com")
    shoot(page, "desk-header-admin-1280", full_page=False)
    assert not page.get_by_role("button", name="Menu").is_visible()
    tops = page.locator(".site-header .nav > li").evaluate_all(
        "items => items.map(item => Math.round(item.getBoundingClientRect().top))"
    )
    assert len(tops) >= 9
    assert max(tops) - min(tops) <= 6, tops  # one row
    assert page.locator(".site-header").bounding_box()["height"] <= 64
    _accessible(page)


def test_without_script_the_whole_menu_shows(live_server, _browser, session) -> None:
    UserFactory(email="plain@example.com")
    context = _browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.fill("#email", "plain@example.com")
        page.fill("#password", "password-123456")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/dashboard$"))
        assert not page.locator(".menu-toggle").is_visible()
        assert page.locator("#site-nav").get_by_role("link", name="History").is_visible()
    finally:
        context.close()


def test_the_question_starts_above_the_fold_on_a_phone(live_server, browser_page, session) -> None:
    seed_bank(session, per_subdomain=2)
    add_template(session, "tiny", item_count=4, minutes=10)
    UserFactory(email="phone@example.com")
    page = browser_page
    page.set_viewport_size(PHONE)
    login(page, live_server, "phone@example.com")
    page.goto(f"{live_server}/exams/tiny/instructions")
    page.get_by_role("button", name="Start the exam").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    first = page.locator(".option").first.bounding_box()
    assert first["y"] + first["height"] <= PHONE["height"], first
    _accessible(page)
    shoot(page, "question-390", full_page=False)


def test_the_browser_zone_is_taken_then_changed_on_the_account_page(
    live_server, _browser, session
) -> None:
    UserFactory(email="traveller@example.com")
    context = _browser.new_context(viewport=DESK, timezone_id="America/New_York")
    try:
        page = context.new_page()
        with page.expect_response(re.compile(r"/account/time-zone/detect$")) as reported:
            login(page, live_server, "traveller@example.com")
        assert reported.value.status == 204
        session.expire_all()
        user = session.scalar(select(User).where(User.email == "traveller@example.com"))
        assert user.time_zone == "America/New_York"
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.goto(f"{live_server}/account")
            assert page.get_by_label("Time zone").input_value() == "America/New_York"
            assert re.search(r"\d{2}:\d{2} E[SD]T", page.locator("main").inner_text())
            _accessible(page)
            shoot(page, f"account-{size}")
        page.get_by_label("Time zone").select_option("Asia/Tokyo")
        page.get_by_role("button", name="Save time zone").click()
        page.get_by_text("Times are now shown in Asia/Tokyo.").wait_for()
        assert " JST" in page.locator("main").inner_text()
        # A later page never sends the browser's zone again over the chosen one.
        page.goto(f"{live_server}/dashboard")
        assert page.locator("body[data-detect-zone]").count() == 0
    finally:
        context.close()


def test_a_window_typed_in_paris_across_the_dst_change(live_server, browser_page, classroom):
    teacher, cohort, _ = classroom
    page = browser_page
    page.set_viewport_size(DESK)
    login(page, live_server, teacher.email)
    page.goto(f"{live_server}/cohorts/{cohort.id}")
    page.get_by_label("Mock to assign").select_option("tiny")
    page.get_by_label("Opens (Europe/Paris)").fill("2030-03-30T09:00")
    page.get_by_label("Closes (Europe/Paris)").fill("2030-04-01T09:00")
    page.get_by_role("button", name="Assign").click()
    page.get_by_text("Mock assigned.").wait_for()
    text = page.locator("main").inner_text()
    assert "30 Mar 2030, 09:00 CET" in text
    assert "1 Apr 2030, 09:00 CEST" in text
    _accessible(page)


def test_student_drill_down_at_both_sizes(live_server, browser_page, classroom) -> None:
    teacher, cohort, students = classroom
    page = browser_page
    login(page, live_server, teacher.email)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(f"{live_server}/cohorts/{cohort.id}/students/{students[0].id}")
        page.get_by_role("heading", name="Sub-domain profile").wait_for()
        assert page.get_by_role("heading", name="Trend over mocks").is_visible()
        assert page.locator(".verdict-word").inner_text() in ("Ready", "Borderline", "Not ready")
        # Nothing wider than the screen: tables stack instead of scrolling sideways.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (size, width)
        for link in page.locator(".cohort-nav a").all():
            assert link.bounding_box()["height"] >= 24, size
        _accessible(page)
        shoot(page, f"student-drill-down-{size}")
    # Another instructor cannot open it.
    UserFactory(email="other@example.com", role="instructor")


def test_scorecard_on_a_phone_shows_standing_and_prints_the_name(
    live_server, browser_page, session
) -> None:
    seed_bank(session, per_subdomain=2)
    add_template(session, "tiny", item_count=12, minutes=10)
    user = UserFactory(email="printer@example.com", name="Pat Printer")
    attempt = _finish(session, user, "tiny", 7)
    page = browser_page
    page.set_viewport_size(PHONE)
    login(page, live_server, user.email)
    page.goto(f"{live_server}/attempts/{attempt.id}/scorecard")
    standing = page.locator("table.sub-table td.standing").first
    standing.scroll_into_view_if_needed()
    box = standing.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert "Standing" in standing.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not page.locator(".candidate-line").is_visible()  # on screen the header says it
    _accessible(page)
    shoot(page, "scorecard-390")
    page.set_viewport_size(DESK)
    page.emulate_media(media="print")
    line = page.locator(".candidate-line")
    assert line.is_visible()
    assert "Pat Printer" in line.inner_text()
    assert not page.locator(".site-header").is_visible()
    shoot(page, "scorecard-print")
    page.emulate_media(media="screen")
    _accessible(page)


def test_heatmap_keeps_names_and_domains_in_view_on_a_phone(
    live_server, browser_page, classroom
) -> None:
    teacher, cohort, _ = classroom
    page = browser_page
    login(page, live_server, teacher.email)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(f"{live_server}/cohorts/{cohort.id}/scorecard")
        scroller = page.locator(".heatmap-scroll")
        scroller.scroll_into_view_if_needed()
        name = page.locator("table.heatmap tbody th").first
        before = name.bounding_box()
        label = page.locator("table.heatmap .group-label").first
        scroller.evaluate("box => { box.scrollLeft = 120; box.scrollTop = 0; }")
        page.wait_for_function(
            "() => document.querySelector('.heatmap-scroll').scrollLeft > 0"
            " || document.querySelector('.heatmap-scroll').scrollWidth"
            " <= document.querySelector('.heatmap-scroll').clientWidth"
        )
        after = name.bounding_box()
        assert abs(after["x"] - before["x"]) < 1, (size, before, after)
        # The first domain's columns are still under the scroll: its label stays beside the names.
        shown = label.bounding_box()
        assert shown["x"] >= after["x"] + after["width"] - 1, (size, shown, after)
        for link in page.locator(".cohort-nav a").all():
            assert link.bounding_box()["height"] >= 24, size
        _accessible(page)
        shoot(page, f"heatmap-{size}", full_page=False)
