"""Authoring editor pages: create, edit, check and preview, key proposals, live lint JSON."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from exam_engine.models import AuditEvent, Question, QuestionVersion, utcnow
from exam_engine.services import authoring
from exam_engine.services.authoring import ItemInput
from tests.factories import QuestionVersionFactory, UserFactory
from tests.integration.test_authoring import clean_item

NEW = "/authoring/questions/new"


def form_data(item: ItemInput | None = None, **extra: str) -> dict[str, str]:
    """The editor's fields for an item, as a browser would post them."""
    item = item or clean_item()
    data = {
        "key": item.key,
        "subdomain": item.subdomain,
        "difficulty": item.difficulty,
        "stem": item.stem,
        "answer": item.answer,
        "references": "\n".join(item.references),
        "enemies": ", ".join(item.enemies),
        "as_of": item.as_of,
    }
    for i, label in enumerate("abcd"):
        data[f"option_{label}"] = item.options[i] if i < len(item.options) else ""
        data[f"rationale_{label}"] = item.rationales[i] if i < len(item.rationales) else ""
    data.update(extra)
    return data


def field_error(html: str, field_id: str) -> str:
    """The text of a field's error message (empty when it has none)."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def rows(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def instructor(session, client):
    user = UserFactory(role="instructor", email="author@example.com", name="Ada Author")
    client.login(user.email)
    return user


# --- new question ----------------------------------------------------------------------------


def test_new_question_proposes_the_next_free_key(client, session, instructor) -> None:
    QuestionVersionFactory(question__key="D2-C-007", subdomain="D2-C", domain="D2")
    html = client.get(NEW + "?subdomain=D2-C").get_data(as_text=True)
    assert 'value="D2-C-008"' in html
    assert '<option selected value="D2-C">' in html
    html = client.get(NEW + "?subdomain=nonsense").get_data(as_text=True)
    assert 'value="D1-A-001"' in html


def test_propose_key_button_works_without_javascript(client, session, instructor) -> None:
    QuestionVersionFactory(question__key="D3-A-041", subdomain="D3-A", domain="D3")
    response = client.post(NEW, data=form_data(key="", subdomain="D3-A", action="propose"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="D3-A-042"' in html
    assert rows(session, Question) == 1
    bad = client.post(NEW, data=form_data(subdomain="D9-Z", action="propose"))
    assert "Choose a sub-domain from the list." in field_error(
        bad.get_data(as_text=True), "subdomain"
    )


def test_creating_a_question_saves_a_draft_and_shows_it(client, session, instructor) -> None:
    response = client.post(NEW, data=form_data(action="save"))
    assert response.status_code == 303
    assert response.location.endswith("/authoring/questions/D2-B-001")
    version = session.scalar(select(QuestionVersion))
    assert version.status == "draft"
    assert version.author_id == instructor.id
    assert version.options[3] == clean_item().options[3]
    assert version.answer_index == 0
    assert version.references == list(clean_item().references)
    page = client.get(response.location).get_data(as_text=True)
    assert "Saved D2-B-001 v1 as a draft." in page
    assert "Created D2-B-001 v1 (draft) in D2-B" in page  # the audit trail
    assert "Ada Author" in page


def test_enemies_and_references_are_split_from_the_form(client, session, instructor) -> None:
    QuestionVersionFactory(question__key="D2-B-010", subdomain="D2-B", domain="D2")
    QuestionVersionFactory(question__key="D2-B-011", subdomain="D2-B", domain="D2")
    data = form_data(
        enemies="D2-B-010, D2-B-011 ;D2-B-010", references="First ref\n\n  Second ref  "
    )
    assert client.post(NEW, data=data).status_code == 303
    version = session.scalar(select(QuestionVersion).where(QuestionVersion.author_id.is_not(None)))
    assert version.enemies == ["D2-B-010", "D2-B-011"]
    assert version.references == ["First ref", "Second ref"]


def test_line_breaks_a_browser_sends_as_cr_lf_are_stored_as_newlines(
    client, session, instructor
) -> None:
    # Browsers send a textarea's line breaks as CR LF; at the limit, they count once each.
    stem = ("A scenario line.\r\n" * 555) + "Which is BEST?\rNow."
    data = form_data(stem=stem, rationale_a="First.\r\nSecond.", references="One\r\nTwo")
    assert len(stem.replace("\r\n", "\n")) <= 10_000 < len(stem)
    assert client.post(NEW, data=data).status_code == 303
    version = session.scalar(select(QuestionVersion))
    assert "\r" not in version.stem
    assert version.stem == stem.replace("\r\n", "\n").replace("\r", "\n")
    assert version.rationales[0] == "First.\nSecond."
    assert version.references == ["One", "Two"]


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"stem": ""}, "stem", "stem is empty"),
        ({"option_d": ""}, "option_d", "option D is empty"),
        ({"option_c": "   ", "option_d": ""}, "option_c", "option C is empty"),
        ({"rationale_b": ""}, "rationale_b", "rationale B is empty"),
        ({"key": "D2-B-01"}, "key", "must be D2-B-NNN with exactly 3 digits"),
        ({"key": "D1-A-001"}, "key", "does not match sub-domain D2-B"),
        ({"key": "x" * 41}, "key", "Field cannot be longer than 40 characters."),
        ({"subdomain": "D9-Z"}, "subdomain", "unknown sub-domain &#39;D9-Z&#39;"),
        ({"difficulty": ""}, "difficulty", "choose a difficulty: easy, medium or hard"),
        ({"answer": ""}, "answer", "mark the correct option: A, B, C or D"),
        ({"answer": "E"}, "answer", "must be one of the option letters A, B, C, D"),
        ({"references": "\n \n"}, "references", "needs at least one entry"),
        ({"enemies": "D2-B-404"}, "enemies", "enemy &#39;D2-B-404&#39; is not a key in the bank"),
        ({"stem": "x" * 10_001}, "stem", "The stem is 10,001 characters; the limit is 10,000"),
        ({"option_c": "x" * 1_001}, "option_c", "Option C is 1,001 characters; the limit is 1,000"),
        (
            {"rationale_a": "x" * 4_001},
            "rationale_a",
            "Rationale A is 4,001 characters; the limit is 4,000",
        ),
    ],
)
def test_bad_input_shows_field_errors_and_writes_nothing(
    client, session, instructor, changes, field_id, message
) -> None:
    response = client.post(NEW, data=form_data(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in field_error(html, field_id)
    assert 'id="error-summary"' in html and 'aria-invalid="true"' in html or field_id == "answer"
    assert rows(session, Question) == 0
    assert rows(session, AuditEvent) == 0


def test_an_empty_form_reports_every_missing_field(client, session, instructor) -> None:
    response = client.post(NEW, data={"action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for field_id in ("key", "stem", "option_a", "option_d", "rationale_c", "answer", "references"):
        assert field_error(html, field_id), field_id
    assert rows(session, Question) == 0


def test_a_taken_key_is_a_field_error(client, session, instructor) -> None:
    QuestionVersionFactory(question__key="D2-B-001", subdomain="D2-B", domain="D2")
    response = client.post(NEW, data=form_data())
    assert response.status_code == 400
    assert "already taken; the next free key in D2-B is D2-B-002" in field_error(
        response.get_data(as_text=True), "key"
    )
    assert rows(session, QuestionVersion) == 1


def test_check_and_preview_renders_findings_without_saving(client, session, instructor) -> None:
    options = list(clean_item().options)
    options[1] = "Always run a penetration test against the chatbot's endpoint"
    data = form_data(clean_item(options=tuple(options), stem="Which step is **BEST** first?"))
    response = client.post(NEW, data={**data, "action": "preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "0 errors, 1 warning." in html
    assert "option B uses the absolute &#39;always&#39;" in html
    assert '<legend class="stem"><p>Which step is <strong>BEST</strong> first?</p>' in html
    assert rows(session, Question) == 0


def test_preview_of_an_invalid_item_lists_problems(client, session, instructor) -> None:
    response = client.post(NEW, data=form_data(option_b="", action="preview"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 problem to fix before the style checks can run" in html
    assert "option B is empty" in field_error(html, "option_b")
    assert rows(session, Question) == 0


# --- edit ------------------------------------------------------------------------------------


@pytest.fixture
def draft(session, instructor):
    return authoring.create_question(session, instructor.id, clean_item(), now=utcnow())


def edit_url(key: str = "D2-B-001") -> str:
    return f"/authoring/questions/{key}/edit"


def test_edit_form_shows_the_newest_version(client, session, draft) -> None:
    html = client.get(edit_url()).get_data(as_text=True)
    assert clean_item().options[2] in html
    assert 'id="answer-0" name="answer" type="radio" value="A"' in html
    assert 'name="base" type="hidden" value="1:' in html
    assert "Saving updates draft v1 in place." in html
    assert "No problems: the item passes every lint rule." in html


def test_editing_a_draft_updates_it(client, session, draft) -> None:
    html = client.get(edit_url()).get_data(as_text=True)
    base = re.search(r'name="base" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(edit_url(), data=form_data(difficulty="hard", base=base))
    assert response.status_code == 303
    session.expire_all()
    assert session.scalar(select(QuestionVersion.difficulty)) == "hard"
    assert "Saved draft D2-B-001 v1." in client.get(response.location).get_data(as_text=True)


def test_the_key_and_subdomain_of_an_edited_question_cannot_change(client, session, draft) -> None:
    response = client.post(edit_url(), data=form_data(key="D2-C-001", subdomain="D2-C"))
    assert response.status_code == 303
    session.expire_all()
    assert session.scalar(select(Question.key)) == "D2-B-001"
    assert session.scalar(select(QuestionVersion.subdomain)) == "D2-B"


def test_editing_a_published_version_makes_version_2(client, session, instructor) -> None:
    reviewer = UserFactory(role="instructor")
    authoring.create_question(session, instructor.id, clean_item(), now=utcnow())
    authoring.submit_for_review(session, instructor.id, "D2-B-001", now=utcnow())
    authoring.publish(session, reviewer.id, "D2-B-001", now=utcnow())
    html = client.get(edit_url()).get_data(as_text=True)
    assert "Saving creates draft v2" in html
    response = client.post(edit_url(), data=form_data(difficulty="easy"))
    assert response.status_code == 303
    assert "stays live until this one is published" in client.get(response.location).get_data(
        as_text=True
    )
    session.expire_all()
    assert dict(session.execute(select(QuestionVersion.number, QuestionVersion.status)).all()) == {
        1: "published",
        2: "draft",
    }


def test_saving_unchanged_content_says_so(client, session, draft) -> None:
    response = client.post(edit_url(), data=form_data())
    assert "Nothing changed, so nothing was saved." in client.get(response.location).get_data(
        as_text=True
    )
    assert rows(session, AuditEvent) == 1


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"option_d": ""}, "option_d", "option D is empty"),
        ({"enemies": "D2-B-001"}, "enemies", "lists itself as an enemy"),
        ({"enemies": "nope"}, "enemies", "enemy &#39;nope&#39; is not a key in the bank"),
        ({"answer": "Q"}, "answer", "must be one of the option letters"),
        ({"difficulty": "extreme"}, "difficulty", "must be one of easy, medium, hard"),
    ],
)
def test_bad_edits_are_refused_and_keep_the_draft(
    client, session, draft, changes, field_id, message
) -> None:
    response = client.post(edit_url(), data=form_data(**changes))
    assert response.status_code == 400
    assert message in field_error(response.get_data(as_text=True), field_id)
    session.expire_all()
    version = session.scalar(select(QuestionVersion))
    assert version.content_hash == draft.content_hash
    assert rows(session, AuditEvent) == 1


def test_a_stale_editor_gets_a_conflict(client, session, draft, instructor) -> None:
    html = client.get(edit_url()).get_data(as_text=True)
    base = re.search(r'name="base" type="hidden" value="([^"]+)"', html).group(1)
    authoring.save_draft(
        session, instructor.id, "D2-B-001", clean_item(difficulty="hard"), now=utcnow()
    )
    response = client.post(edit_url(), data=form_data(difficulty="easy", base=base))
    assert response.status_code == 409
    assert "changed by someone else since you opened it" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(QuestionVersion.difficulty)) == "hard"


def test_editing_an_unknown_question_is_404(client, session, instructor) -> None:
    assert client.get(edit_url("D2-B-404")).status_code == 404
    assert client.post(edit_url("D2-B-404"), data=form_data()).status_code == 404


def test_edit_preview_lints_against_the_rest_of_the_bank(client, session, draft) -> None:
    other = clean_item(key="D2-B-002", stem=clean_item().stem.replace("retailer", "insurer"))
    authoring.create_question(session, draft.author_id, other, now=utcnow())
    response = client.post(edit_url(), data=form_data(action="preview"))
    html = response.get_data(as_text=True)
    assert "near-duplicate-stem" in html
    assert "D2-B-002" in html
    session.expire_all()
    assert rows(session, AuditEvent) == 2


# --- JSON endpoints --------------------------------------------------------------------------


def test_lint_json_returns_findings_for_the_current_values(client, session, instructor) -> None:
    # The absolute in a distractor: the key is not the odd one out, so one warning only.
    options = list(clean_item().options)
    options[1] = "Always run a penetration test against the chatbot's endpoint"
    response = client.post("/authoring/lint", json=form_data(clean_item(options=tuple(options))))
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    assert body["problems"] == []
    assert body["summary"] == {"errors": 0, "warnings": 1}
    [finding] = body["findings"]
    assert finding["rule"] == "absolutes"
    assert finding["field"] == "options.B"
    assert finding["label"] == "Option B"
    assert rows(session, Question) == 0


def test_lint_json_reports_problems_by_field(client, session, instructor) -> None:
    body = client.post("/authoring/lint", json=form_data(stem="", option_c="")).get_json()
    assert body["ok"] is False
    assert body["findings"] == []
    assert {(p["field"], p["message"]) for p in body["problems"]} == {
        ("stem", "stem is empty"),
        ("options.C", "option C is empty"),
    }


def test_lint_json_when_editing_ignores_the_question_itself(client, session, draft) -> None:
    body = client.post("/authoring/lint", json={**form_data(), "editing": "D2-B-001"}).get_json()
    assert body["ok"] is True
    assert body["findings"] == []
    assert body["problems"] == []
    fresh = client.post("/authoring/lint", json=form_data()).get_json()
    assert "already taken" in fresh["problems"][0]["message"]
    assert client.post("/authoring/lint", json={"editing": "D9-Z-001"}).status_code == 404


def test_lint_json_needs_a_json_object_and_the_csrf_header(
    client, raw_client, session, instructor
) -> None:
    assert (
        client.post("/authoring/lint", data="[1, 2]", content_type="application/json").status_code
        == 400
    )
    assert client.post("/authoring/lint", data=form_data()).status_code == 400
    raw_client.post("/login", data={"email": "author@example.com", "password": "password-123456"})
    refused = raw_client.post(
        "/authoring/lint", json=form_data(), headers={"Accept": "application/json"}
    )
    assert refused.status_code == 400
    assert "security token" in refused.get_json()["error"]


def test_next_key_json(client, session, instructor) -> None:
    QuestionVersionFactory(question__key="D1-E-009", subdomain="D1-E", domain="D1")
    assert client.get("/authoring/next-key?subdomain=D1-E").get_json() == {
        "key": "D1-E-010",
        "subdomain": "D1-E",
    }
    bad = client.get("/authoring/next-key?subdomain=D7")
    assert bad.status_code == 400
    assert "unknown sub-domain" in bad.get_json()["error"]
