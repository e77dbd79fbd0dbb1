"""Authoring in Chromium: write an item, fix its lint warning, review, publish, draw, edit.

An instructor writes an item with a live lint warning, fixes it and sends it to review;
another instructor publishes it; a candidate's new mock over a template restricted to that
sub-domain draws it; an edit makes version 2 while the candidate's attempt still shows v1.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from exam_engine.models import Attempt, AttemptItem, ExamTemplate, Question, QuestionVersion
from exam_engine.services import pool
from tests.browser.conftest import axe_violations, describe, login, start_mock
from tests.factories import UserFactory
from tests.integration.test_authoring import clean_item
from tests.support import seed_bank

PER_SUBDOMAIN = 2
ITEM = clean_item()


def _accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login"))


def _write_item(page, base: str) -> str:
    """Write the item through the editor, see the live warning, fix it, save; return its key."""
    page.goto(f"{base}/authoring/")
    _accessible(page)
    page.get_by_role("link", name="New question").click()
    page.wait_for_url(re.compile(r"/authoring/questions/new"))
    page.get_by_label("Sub-domain").select_option("D2-B")
    # The key follows the sub-domain: the next free number after the seeded items.
    key = f"D2-B-{PER_SUBDOMAIN + 1:03d}"
    # A locator assertion, not wait_for_function: polling a string would need eval (CSP).
    expect(page.locator("#key")).to_have_value(key)
    page.get_by_label("Difficulty").select_option("medium")
    page.get_by_label("Stem").fill(ITEM.stem)
    # The absolute goes in a distractor: in the key it would also make the key the odd one
    # out (form-asymmetry), a second warning.
    warning_option = "Always " + ITEM.options[1][0].lower() + ITEM.options[1][1:]
    for label, text in zip("ABCD", ITEM.options, strict=True):
        page.get_by_label(f"Option {label}", exact=True).fill(text)
    page.get_by_label("Option B", exact=True).fill(warning_option)
    for label, text in zip("ABCD", ITEM.rationales, strict=True):
        page.get_by_label(f"Rationale {label}", exact=True).fill(text)
    page.get_by_label("A is the correct answer").check()
    page.get_by_label("References").fill(ITEM.references[0])
    # The reference names a standard's edition, so lint asks when its facts were checked.
    page.get_by_label("Facts checked on").fill(ITEM.as_of)

    # Live lint: the warning shows while typing, without saving anything.
    warning = page.locator("#live-findings .finding-warning")
    warning.wait_for()
    assert "absolute 'always'" in warning.inner_text()
    _accessible(page)

    # "Check and preview" re-renders with the same finding and the candidate's view.
    page.get_by_role("button", name="Check and preview").click()
    page.wait_for_load_state()
    assert "absolute 'always'" in page.locator("#live-findings").inner_text()
    assert page.locator(".candidate-preview .option-text").nth(1).inner_text() == warning_option

    page.get_by_label("Option B", exact=True).fill(ITEM.options[1])
    page.locator("#live-findings .findings-summary.ok").wait_for()
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(rf"/authoring/questions/{key}$"))
    assert f"Saved {key} v1 as a draft." in page.locator(".flashes").inner_text()
    return key


def test_write_review_publish_draw_and_edit(live_server, browser_page, session) -> None:
    seed_bank(session, per_subdomain=PER_SUBDOMAIN)
    UserFactory(email="author@example.com", role="instructor", name="Ada Author")
    UserFactory(email="reviewer@example.com", role="instructor", name="Rex Reviewer")
    candidate = UserFactory(email="cand@example.com", name="Cara Candidate")
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())

    # 1. The author writes the item and sends it to review; they cannot publish it.
    login(page, live_server, "author@example.com")
    key = _write_item(page, live_server)
    _accessible(page)
    page.get_by_role("button", name="Send v1 to review").click()
    page.wait_for_url(re.compile(rf"/questions/{key}$"))
    assert "another instructor must review and publish it" in page.content()
    assert page.get_by_role("button", name="Publish v1").count() == 0
    _sign_out(page)

    # 2. Another instructor publishes it.
    login(page, live_server, "reviewer@example.com")
    page.goto(f"{live_server}/authoring/?q={key}")
    page.get_by_role("link", name=key).click()
    page.get_by_role("button", name="Publish v1").click()
    page.wait_for_url(re.compile(rf"/questions/{key}$"))
    assert "new exams can draw it" in page.locator(".flashes").inner_text()
    audit = page.locator("table.audit-table").inner_text()
    assert "Published" in audit
    assert "Rex Reviewer" in audit
    assert "Ada Author" in audit
    page.get_by_role("link", name="Question bank").click()
    page.get_by_role("link", name="Import / export").click()
    page.wait_for_url(re.compile(r"/authoring/transfer$"))
    _accessible(page)
    _sign_out(page)

    session.expire_all()
    v1 = session.scalar(select(QuestionVersion).join(Question).where(Question.key == key))
    assert v1.status == "published"
    assert v1.reviewer_id is not None
    assert v1.id in {item.version_id for item in pool.published_pool(session)}

    # 3. A candidate's new mock over a template restricted to that sub-domain draws it.
    session.add(
        ExamTemplate(
            name="d2b-check",
            title="D2-B check",
            blueprint="aaism",
            item_count=PER_SUBDOMAIN + 1,
            minutes=30,
            mode="exam",
            subdomains=["D2-B"],
        )
    )
    session.commit()
    login(page, live_server, "cand@example.com")
    start_mock(page, "D2-B check")
    page.wait_for_url(re.compile(r"/attempts/\d+/q/1$"))
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == candidate.id))
    position = session.scalar(
        select(AttemptItem.position).where(
            AttemptItem.attempt_id == attempt.id, AttemptItem.question_version_id == v1.id
        )
    )
    assert position is not None
    question_url = f"{live_server}/attempts/{attempt.id}/q/{position}"
    page.goto(question_url)
    assert "customer-service chatbot" in page.locator("legend.stem").inner_text()
    _sign_out(page)

    # 4. An edit makes version 2; once published, the old attempt still shows version 1.
    login(page, live_server, "author@example.com")
    page.goto(f"{live_server}/authoring/questions/{key}/edit")
    assert "Saving creates draft v2" in page.content()
    stem = page.get_by_label("Stem")
    stem.fill(ITEM.stem.replace("customer-service chatbot", "claims-triage assistant"))
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(rf"/questions/{key}$"))
    assert "stays live until this one is published" in page.locator(".flashes").inner_text()
    page.get_by_role("button", name="Send v2 to review").click()
    page.get_by_role("link", name="Diff v1 → v2").click()
    page.wait_for_url(re.compile(r"/diff"))
    assert page.locator("del").first.inner_text().startswith("customer")
    assert page.locator("ins").first.inner_text().startswith("claims")
    _accessible(page)
    _sign_out(page)

    login(page, live_server, "reviewer@example.com")
    page.goto(f"{live_server}/authoring/questions/{key}")
    page.get_by_role("button", name="Publish v2").click()
    page.wait_for_url(re.compile(rf"/questions/{key}$"))
    _sign_out(page)

    session.expire_all()
    versions = dict(
        session.execute(
            select(QuestionVersion.number, QuestionVersion.status)
            .join(Question)
            .where(Question.key == key)
        ).all()
    )
    assert versions == {1: "retired", 2: "published"}
    login(page, live_server, "cand@example.com")
    page.goto(question_url)
    shown = page.locator("legend.stem").inner_text()
    assert "customer-service chatbot" in shown
    assert "claims-triage" not in shown
