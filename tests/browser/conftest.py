"""Browser fixtures: the app on a live server thread, Debian's Chromium through Playwright.

Locally the browser tests skip, with the reason printed, when Chromium or axe-core is
missing; under CI (``CI`` set) a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(f"browser test skipped: {reason}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything in this folder as a browser test."""
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def _browser() -> Iterator[Any]:
    _require(
        shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(),
        f"Chromium not found at {CHROMIUM} (apt-get install chromium)",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(_browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser profile per test; a screenshot is kept when the test fails."""
    # One zone whatever the machine's: pages show times in the zone the browser reports.
    context = _browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="UTC")
    context.set_default_timeout(10_000)
    yield context
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for number, page in enumerate(context.pages):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{number}.png"))
    context.close()


@pytest.fixture
def browser_page(browser_context: Any) -> Any:
    """A page in a fresh context."""
    return browser_context.new_page()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """Keep each phase's report on the item so fixtures can see failures."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def login(page: Any, base: str, email: str, password: str = "password-123456") -> None:
    """Sign in through the login form; candidates land on the dashboard, instructors home."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base) + r"/(dashboard|instructor)$"))


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[Any]:
    """Run axe-core in the page and return violations of the given impacts."""
    _require(AXE.exists(), f"axe-core not installed at {AXE} (run `npm install`)")
    # Evaluated through the DevTools protocol, so the page's strict CSP stays in force.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in impacts]


def describe(violations: list[Any]) -> str:
    """Readable summary of axe violations for an assertion message."""
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
    )


def start_mock(page: Any, title: str) -> None:
    """Start a timed mock from the dashboard: its instructions page, then Start the exam."""
    page.get_by_role("link", name=f"Start {title}").click()
    page.get_by_role("heading", name=f"Before you start: {title}").wait_for()
    page.get_by_role("button", name="Start the exam").click()


def answer_keys(session: Any, attempt_id: int) -> list[str]:
    """The key of each position of an attempt, as its candidate's option ids."""
    from sqlalchemy import select

    from exam_engine.models import AttemptItem
    from exam_engine.services import attempts

    session.expire_all()
    items = session.scalars(
        select(AttemptItem)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(AttemptItem.position)
    ).all()
    return [attempts.stored_to_choice(i, i.version.answer_index) for i in items]


def shoot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot for a person to look at, only when SCREENSHOTS_DIR names a folder."""
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)
