"""A candidate finishes a mock, reads the scorecard, reviews answers and sees the history."""

from __future__ import annotations

import re

from tests.browser.conftest import axe_violations, describe, login, start_mock
from tests.factories import UserFactory
from tests.support import seed_bank

DOMAIN_CHART = "Percent correct by domain, with 95% intervals"
TREND_CHART = "Percent correct per domain across your mocks"


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _finish_quiz(page, base: str) -> str:
    """Take the 20-item quiz (answer three, flag one) and submit; return the attempt URL."""
    start_mock(page, "Short mixed quiz")
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    attempt_url = page.url.rsplit("/q/", 1)[0]
    for position, option in ((1, "A"), (2, "B"), (3, "C")):
        page.goto(f"{attempt_url}/q/{position}")
        page.locator(f"label[for=choice-{option}]").click()
        if position == 2:
            page.locator("label[for=flagged]").click()
        page.get_by_text(re.compile(r"Saved at")).wait_for()
    page.goto(f"{attempt_url}/summary")
    page.get_by_label("I have reviewed my answers").check()
    page.get_by_role("button", name="Submit exam").click()
    page.wait_for_url(re.compile(r"/scorecard$"))
    return attempt_url


def test_scorecard_review_and_history(live_server, browser_page, session) -> None:
    seed_bank(session, per_subdomain=4)
    UserFactory(email="scorer@example.com")
    page = browser_page
    login(page, live_server, "scorer@example.com")
    attempt_url = _finish_quiz(page, live_server)

    # Scorecard: the score, labelled estimates, and the server-drawn chart, visible.
    assert re.search(r"\d+ / 20", page.locator(".big-score").inner_text())
    assert page.get_by_text("Estimate by this practice engine, not an ISACA score").is_visible()
    chart = page.get_by_role("img", name=DOMAIN_CHART)
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 120
    assert page.locator("svg.chart-bars .chart-bar, svg.chart-bars .chart-interval").count() > 0
    assert page.get_by_role("heading", name="By sub-domain").is_visible()
    assert page.get_by_role("heading", name="Pacing").is_visible()
    _accessible(page)

    # Printing gives one page without the site navigation or the buttons.
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.get_by_role("link", name="Review answers").is_visible()
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    page.emulate_media(media="screen")

    # Review: every question, the key, and a working GET filter.
    page.get_by_role("link", name="Review answers").click()
    page.wait_for_url(f"{attempt_url}/review")
    # Paged by ten; the jump list holds all twenty.
    assert page.locator("article.review-item").count() == 10
    assert page.get_by_text("Showing 1–10 of 20 questions, page 1 of 2.").is_visible()
    assert page.locator(".jump-list .jump").count() == 20
    first = page.locator("#q1")
    assert first.locator(".review-option.is-key").count() == 1
    assert "You chose A" in first.inner_text()
    _accessible(page)
    page.get_by_label("Flagged only").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"flagged=y"))
    assert page.locator("article.review-item").count() == 1
    assert page.locator("#q2").is_visible()
    page.get_by_label("Flagged only").uncheck()
    page.get_by_label("Wrong or unanswered only").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"wrong=y"))
    wrong = page.locator("article.review-item").count()
    assert wrong == 10  # 17 to 20 wrong or unanswered: ten on the first page
    assert 17 <= page.locator(".jump-list a.jump").count() <= 20
    _accessible(page)

    # History: the mock in the table and the trend chart.
    page.get_by_role("link", name="History", exact=True).first.click()
    page.wait_for_url(f"{live_server}/history")
    trend = page.get_by_role("img", name=TREND_CHART)
    assert trend.count() == 1
    assert trend.is_visible()  # the narrow drawing is hidden
    assert page.get_by_role("link", name=re.compile("^Scorecard")).count() == 1
    _accessible(page)

    # On a phone the narrow drawing takes over; the page does not scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.locator("svg.chart-narrow").is_visible()
    assert not page.locator("svg.chart-wide").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_chart_needs_no_javascript(live_server, browser_context, session) -> None:
    seed_bank(session, per_subdomain=4)
    UserFactory(email="nojs@example.com")
    with_js = browser_context.new_page()
    login(with_js, live_server, "nojs@example.com")
    attempt_url = _finish_quiz(with_js, live_server)
    context = browser_context.browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, live_server, "nojs@example.com")
        page.goto(f"{attempt_url}/scorecard")
        assert page.get_by_role("img", name=DOMAIN_CHART).is_visible()
        page.goto(f"{live_server}/history")
        assert page.get_by_role("img", name=TREND_CHART).is_visible()
        page.goto(f"{attempt_url}/review?wrong=y")
        assert page.locator("article.review-item").count() == 10
        assert page.locator(".jump-list a.jump").count() >= 17
    finally:
        context.close()
