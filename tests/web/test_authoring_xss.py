"""Authored text is never live HTML: script, event handlers and javascript: links stay inert.

Every authored field carries a payload; each page that shows it (editor preview, bank
browser, question page with history and audit trail, diff, the candidate's question page)
is parsed, and no script, event-handler attribute or javascript: URL may appear in it.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from exam_engine.models import ExamTemplate, utcnow
from exam_engine.services import attempts, authoring
from tests.factories import UserFactory
from tests.integration.test_authoring import clean_item
from tests.web.test_authoring_editor import form_data

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
MD_LINK = "[click](javascript:alert(1))"
A_LINK = '<a href="javascript:alert(2)">go</a>'
PAYLOADS = (SCRIPT, IMG, MD_LINK, A_LINK)


def hostile_item(**changes: object):
    """A valid, lint-clean item with a payload in every free-text field."""
    values: dict[str, object] = dict(
        stem=f"A vendor ships {SCRIPT} and {IMG} with {MD_LINK} and {A_LINK}. "
        "Which action is BEST?",
        options=(
            f"Review {SCRIPT} evidence first",
            f"Test {IMG} the endpoint",
            f"Read {MD_LINK} the docs",
            f"Draft {A_LINK} a playbook",
        ),
        rationales=tuple(f"Rationale {p} explains why this option is weaker." for p in PAYLOADS),
        references=(f"ISO/IEC 42001:2023 {SCRIPT}", f"See {MD_LINK}", f"Or {A_LINK}"),
    )
    return clean_item(**{**values, **changes})


class _Live(HTMLParser):
    """Collects anything in a page that a browser would run."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith(("/static/", "/assets/")):
            self.problems.append(f"script element {attrs}")
        if tag in ("img", "iframe", "object", "embed", "svg"):
            self.problems.append(f"{tag} element {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and (
                (value or "").strip().lower().startswith(("javascript:", "data:text"))
            ):
                self.problems.append(f"{name}={value!r} on <{tag}>")


def assert_inert(html: str, *, expect_payload: bool = True) -> None:
    parser = _Live()
    parser.feed(html)
    assert parser.problems == []
    if expect_payload:
        # The payload is shown, as text: the page did render the authored field.
        assert "&lt;script&gt;alert(" in html


@pytest.fixture
def author(session, client):
    user = UserFactory(role="instructor", email="author@example.com")
    client.login(user.email)
    return user


@pytest.fixture
def published(session, author):
    """The hostile item, published, then a hostile v2 draft over it with a hostile note."""
    reviewer = UserFactory(role="instructor")
    authoring.create_question(session, author.id, hostile_item(), now=utcnow())
    authoring.submit_for_review(session, author.id, "D2-B-001", now=utcnow())
    authoring.publish(session, reviewer.id, "D2-B-001", now=utcnow())
    v2 = hostile_item(stem=hostile_item().stem.replace("A vendor", f"A supplier {IMG}"))
    authoring.save_draft(session, author.id, "D2-B-001", v2, now=utcnow())
    authoring.submit_for_review(session, author.id, "D2-B-001", now=utcnow())
    authoring.return_to_draft(
        session, reviewer.id, "D2-B-001", f"Fix {SCRIPT} {A_LINK}", now=utcnow()
    )


def test_the_checker_catches_live_html() -> None:
    for html in (
        f"<p>{SCRIPT}</p>",
        f"<p>{IMG}</p>",
        f"<p>{A_LINK}</p>",
        '<p><button onclick="x()">b</button></p>',
    ):
        parser = _Live()
        parser.feed(html)
        assert parser.problems, html


def test_editor_preview(client, session, author) -> None:
    response = client.post(
        "/authoring/questions/new", data={**form_data(hostile_item()), "action": "preview"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="candidate-preview"' in html
    assert_inert(html)


def test_editor_field_errors_echo_input_inertly(client, session, author) -> None:
    data = form_data(hostile_item(), key=SCRIPT, enemies=IMG)
    response = client.post("/authoring/questions/new", data=data)
    assert response.status_code == 400
    assert_inert(response.get_data(as_text=True))


def test_edit_page_and_check(client, session, published) -> None:
    assert_inert(client.get("/authoring/questions/D2-B-001/edit").get_data(as_text=True))
    preview = client.post(
        "/authoring/questions/D2-B-001/edit",
        data={**form_data(hostile_item()), "action": "preview"},
    )
    assert_inert(preview.get_data(as_text=True))


def test_bank_browser(client, session, published) -> None:
    html = client.get("/authoring/?q=supplier").get_data(as_text=True)
    assert "D2-B-001" in html
    assert_inert(html)


def test_question_page_history_and_audit(client, session, published) -> None:
    html = client.get("/authoring/questions/D2-B-001").get_data(as_text=True)
    assert "Fix &lt;script&gt;" in html  # the reviewer's note, in the page and the audit trail
    assert_inert(html)
    assert_inert(client.get("/authoring/questions/D2-B-001?version=1").get_data(as_text=True))


@pytest.mark.parametrize("view", ["side", "unified"])
def test_diff(client, session, published, view) -> None:
    html = client.get(f"/authoring/questions/D2-B-001/diff?a=1&b=2&view={view}").get_data(
        as_text=True
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert_inert(html, expect_payload=False)


def test_candidate_question_page(client, session, published) -> None:
    session.add(
        ExamTemplate(
            name="d2b",
            title="D2-B",
            blueprint="aaism",
            item_count=1,
            minutes=10,
            mode="practice",
            subdomains=["D2-B"],
        )
    )
    session.commit()
    candidate = UserFactory(email="cand@example.com")
    attempt = attempts.start_attempt(session, candidate.id, "d2b", now=utcnow(), seed=3)
    client.post("/logout")
    client.login(candidate.email)
    page = client.get(f"/attempts/{attempt.id}/q/1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "A vendor ships" in html  # v1, the published version
    assert_inert(html)
    # Practice mode: after answering, the rationales and references show too.
    client.post(f"/attempts/{attempt.id}/q/1", data={"choice": "A", "go": "check"})
    checked = client.get(f"/attempts/{attempt.id}/q/1").get_data(as_text=True)
    assert "Rationale &lt;" in checked
    assert_inert(checked)


@pytest.mark.parametrize(
    "source",
    [
        SCRIPT,
        IMG,
        MD_LINK,
        A_LINK,
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "<javascript:alert(1)>",
        "![pic](javascript:alert(1))",
        '[x](https://example.com "t" onmouseover="alert(1)")',
        "<svg onload=alert(1)>",
        "<details open ontoggle=alert(1)>",
    ],
)
def test_markdown_filters_leave_nothing_live(source: str) -> None:
    from exam_engine.web.text import render_inline, render_markdown

    for render in (render_markdown, render_inline):
        parser = _Live()
        parser.feed(str(render(f"Before {source} after")))
        assert parser.problems == [], (render.__name__, source)
