"""Script in every authored field of an imported item never runs, on any page, in Chromium."""

from __future__ import annotations

import contextlib
import csv
import io
import re

from sqlalchemy import select

from exam_engine.models import Attempt, ExamTemplate
from exam_engine.services import interchange
from tests.browser.conftest import login, start_mock
from tests.factories import UserFactory
from tests.support import seed_bank

PAYLOADS = [
    "<script>window.__xss = 'script'</script>",
    '<img src="x" onerror="window.__xss = \'img\'">',
    "[click me](javascript:window.__xss='link')",
    "<svg onload=\"window.__xss = 'svg'\"></svg>",
    '"><iframe src="javascript:window.__xss=\'iframe\'"></iframe>',
]


def hostile(field: str, n: int) -> str:
    return f"{field} {PAYLOADS[n % len(PAYLOADS)]} Which is BEST?"


def hostile_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["key", "subdomain", "difficulty", "stem"]
        + [f"option_{c}" for c in "abcd"]
        + ["answer"]
        + [f"rationale_{c}" for c in "abcd"]
        + ["references"]
    )
    writer.writerow(
        ["D1-A-900", "D1-A", "medium", hostile("stem", 0)]
        + [f"option {PAYLOADS[i]}" for i in range(1, 5)]
        + ["B"]
        + [f"because {PAYLOADS[i % 5]}" for i in range(4)]
        + ["NIST AI RMF 1.0 <script>window.__xss='ref'</script>"]
    )
    return out.getvalue().encode("utf-8")


def assert_inert(page) -> None:
    assert page.evaluate("() => window.__xss === undefined"), page.url
    assert page.locator("main script").count() == 0, page.url
    for attribute in ("onerror", "onload"):
        assert page.locator(f"main [{attribute}]").count() == 0, (page.url, attribute)
    assert page.locator('main a[href^="javascript:"]').count() == 0, page.url


def test_imported_script_never_runs(live_server, browser_context, session) -> None:
    seed_bank(session, per_subdomain=1)
    admin = UserFactory(email="admin@example.com", role="admin")
    UserFactory(email="cand@example.com")
    result = interchange.import_file(
        session, "csv", hostile_csv(), filename="x.csv", publish=True, author_id=admin.id
    )
    assert result.created == ["D1-A-900"]
    session.add(
        ExamTemplate(
            name="xss-check",
            title="Xss check",
            blueprint="aaism",
            item_count=2,
            minutes=10,
            subdomains=["D1-A"],
        )
    )
    session.commit()

    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        # Leaving a running timed exam asks first (beforeunload): that one is the app's own.
        if dialog.type == "beforeunload":
            with contextlib.suppress(Exception):  # both listeners below see it: accept once
                dialog.accept()
        else:
            dialogs.append(dialog.message)

    browser_context.on("page", lambda p: p.on("dialog", on_dialog))
    page = browser_context.new_page()
    page.on("dialog", on_dialog)

    login(page, live_server, "cand@example.com")
    start_mock(page, "Xss check")
    page.wait_for_url(re.compile(r"/q/1$"))
    attempt = session.scalar(select(Attempt))
    position = next(i.position for i in attempt.items if i.version.question.key == "D1-A-900")
    page.goto(f"{live_server}/attempts/{attempt.id}/q/{position}")
    assert "window.__xss" in page.locator("main").inner_text()  # shown as text, not run
    assert_inert(page)
    page.keyboard.press("b")
    page.get_by_text(re.compile("Saved at")).wait_for()
    page.goto(f"{live_server}/attempts/{attempt.id}/summary")
    page.get_by_label("I have reviewed my answers").check()
    page.get_by_role("button", name="Submit exam").click()
    page.wait_for_url(re.compile(r"/scorecard$"))
    assert_inert(page)
    page.goto(f"{live_server}/attempts/{attempt.id}/review")
    assert "window.__xss" in page.locator("main").inner_text()
    assert_inert(page)
    # Where Markdown made the javascript: link a link at all, clicking it runs nothing.
    links = page.get_by_role("link", name="click me")
    for index in range(links.count()):
        links.nth(index).click()
        assert_inert(page)

    page.context.clear_cookies()
    login(page, live_server, "admin@example.com")
    for path in (
        "/authoring/?q=D1-A-900",
        "/authoring/questions/D1-A-900",
        "/authoring/questions/D1-A-900/edit",
        "/item-analysis/",
    ):
        page.goto(live_server + path)
        assert_inert(page)
    assert dialogs == []
