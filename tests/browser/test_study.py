"""After a mock with misses, the dashboard offers a weak-area drill and a review queue."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from exam_engine.models import Attempt, AttemptItem, ReviewCard, utcnow
from tests.browser.conftest import answer_keys, axe_violations, describe, login, start_mock
from tests.factories import UserFactory
from tests.support import add_template, seed_bank


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _question_ids(session, attempt_id: int) -> list[int]:
    return list(
        session.scalars(
            select(AttemptItem.question_id)
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.position)
        )
    )


def _wrong(key: str) -> str:
    return "B" if key == "A" else "A"


def _attempt_id(url: str) -> int:
    match = re.search(r"/attempts/(\d+)/", url)
    assert match, url
    return int(match.group(1))


def _check(page, key: str) -> None:
    """Choose by keyboard, then check with Enter: only the check brings the feedback up."""
    page.keyboard.press(key.lower())
    page.get_by_text(re.compile(r"Saved at")).wait_for()
    assert page.locator(".feedback").count() == 0
    page.keyboard.press("Enter")
    page.locator(".feedback").wait_for()
    # The feedback arrives by a reload: wait until the page's script handles keys again.
    page.wait_for_load_state("load")


def _submit(page) -> None:
    page.get_by_role("button", name="Review and submit").click()
    page.wait_for_url(re.compile(r"/summary$"))
    page.get_by_label("I have reviewed my answers").check()
    page.get_by_role("button", name=re.compile("^Submit")).click()
    page.wait_for_url(re.compile(r"/scorecard$"))


def test_drill_and_review_after_a_mock_with_misses(live_server, browser_page, session, app) -> None:
    seed_bank(session, per_subdomain=4)
    add_template(session, "mini-mock", item_count=4, minutes=30)
    user = UserFactory(email="studier@example.com")
    page = browser_page
    login(page, live_server, "studier@example.com")

    # A short mock: three misses and one right answer, by keyboard.
    start_mock(page, "Mini Mock")
    page.wait_for_url(re.compile(r"/q/1$"))
    mock_id = _attempt_id(page.url)
    keys = answer_keys(session, mock_id)
    for position, key in enumerate(keys, start=1):
        page.keyboard.press((key if position == 4 else _wrong(key)).lower())
        page.get_by_text(re.compile(r"Saved at")).wait_for()
        if position < len(keys):
            page.keyboard.press("ArrowRight")
            page.wait_for_url(re.compile(rf"/q/{position + 1}$"))
    _submit(page)

    # The dashboard's Study panel: the misses are queued for tomorrow; a drill is on offer.
    page.get_by_role("link", name="Dashboard", exact=True).click()
    panel = page.locator("#study-panel")
    assert panel.locator("#study-due-count").inner_text() == "0"
    assert "3 in your review queue" in panel.inner_text()
    _accessible(page)

    # The weak-area drill: practice mode, feedback with rationales after each answer.
    panel.get_by_role("button", name="Drill my weak areas", exact=True).click()
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    drill_id = _attempt_id(page.url)
    assert session.get(Attempt, drill_id).kind == "drill"
    drill_keys = answer_keys(session, drill_id)
    assert len(drill_keys) == 15
    # The drill's first item is missed too; it may repeat a mock miss (drills may repeat).
    mock_misses = set(_question_ids(session, mock_id)[:3])
    drill_miss = _question_ids(session, drill_id)[0]
    missed = mock_misses | {drill_miss}
    # An item missed in both the mock and the drill has lower FSRS stability: a shorter interval.
    missed_once = missed - (mock_misses & {drill_miss})
    _check(page, _wrong(drill_keys[0]))
    feedback = page.locator(".feedback")
    assert f"the best answer is {drill_keys[0]}" in feedback.inner_text()
    assert "rationale" in page.locator(".rationales").inner_text()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"/q/2$"))
    _check(page, drill_keys[1])
    assert page.locator(".feedback.correct").is_visible()
    _accessible(page)
    _submit(page)

    # The next day: the misses are due.
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=1)
    try:
        page.get_by_role("link", name="Dashboard", exact=True).click()
        panel = page.locator("#study-panel")
        assert panel.locator("#study-due-count").inner_text() == str(len(missed))
        assert panel.locator("#study-streak").inner_text() == "1 day"
        panel.get_by_role("link", name="Review due items").click()
        page.wait_for_url(re.compile(r"/study/review$"))
        assert page.locator("#due-table tbody tr").count() == len(missed)
        _accessible(page)

        page.get_by_role("button", name="Start review").click()
        page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
        review_id = _attempt_id(page.url)
        assert session.get(Attempt, review_id).kind == "review"
        review_keys = answer_keys(session, review_id)
        for position, key in enumerate(review_keys, start=1):
            _check(page, key)
            assert page.locator(".feedback.correct").is_visible()
            if position < len(review_keys):
                page.keyboard.press("ArrowRight")
                page.wait_for_url(re.compile(rf"/q/{position + 1}$"))
        _submit(page)

        page.get_by_role("link", name="Dashboard", exact=True).click()
        panel = page.locator("#study-panel")
        assert panel.locator("#study-due-count").inner_text() == "0"
        assert panel.locator("#study-streak").inner_text() == "2 days"
        session.expire_all()
        cards = session.scalars(select(ReviewCard).where(ReviewCard.user_id == user.id)).all()
        assert {card.question_id for card in cards} == missed
        # Answered right the next day: none is due again tomorrow; a single miss earns 2 days.
        assert all(card.due_at > utcnow() + timedelta(days=1) for card in cards)
        assert all(
            card.due_at > utcnow() + timedelta(days=2)
            for card in cards
            if card.question_id in missed_once
        )

        # The Study page: mastery after the mock and the drill, with a trend line.
        page.get_by_role("link", name="Study", exact=True).click()
        page.wait_for_url(re.compile(r"/study/$"))
        table = page.locator("#mastery-table")
        assert table.locator("thead th").count() == 4  # sub-domain, two points, trend
        assert table.locator("svg.sparkline").count() == 13
        _accessible(page)
    finally:
        app.config.pop("CLOCK", None)
