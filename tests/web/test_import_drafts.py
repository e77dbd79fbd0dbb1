"""The import report page, the bulk form for drafts, the browser's filter, and who may use them."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import select

from exam_engine.models import Question, QuestionVersion
from tests.factories import UserFactory

MOODLE = (Path(__file__).parents[1] / "unit" / "foreign" / "moodle_export.gift").read_bytes()


def upload(client, **extra):
    data = {"fmt": "gift", "file": (io.BytesIO(MOODLE), "moodle.gift"), **extra}
    return client.post("/authoring/import", data=data, content_type="multipart/form-data")


def keys(session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Question.key)))


def test_the_report_lists_drafts_with_checklists_and_skips(client, session) -> None:
    client.login(UserFactory(role="instructor").email)
    response = upload(client, subdomain="D3-B")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Imported moodle.gift (GIFT)" in html
    assert "3 questions created as drafts, 3 still incomplete; 8 skipped or noted." in html
    assert "D2-A-001" in html and "D3-B-001" in html and "Model inventory" in html
    assert "<li>exactly four options (has 3)</li>" in html
    assert "question ::Essay:: skipped: an essay" in html
    assert 'action="/authoring/drafts/bulk"' in html


def test_bulk_set_rekeys_and_needs_csrf(client, session) -> None:
    client.login(UserFactory(role="instructor").email)
    upload(client)
    form = {"keys": ["DRAFT-0001", "DRAFT-0002"], "subdomain": "D1-C", "difficulty": "easy"}
    refused = client.post("/authoring/drafts/bulk", data=form, csrf=False)
    assert refused.status_code == 400
    assert keys(session) == {"D2-A-001", "DRAFT-0001", "DRAFT-0002"}
    done = client.post("/authoring/drafts/bulk", data=form)
    assert done.status_code == 303
    assert keys(session) == {"D2-A-001", "D1-C-001", "D1-C-002"}
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Re-keyed: DRAFT-0001 is now D1-C-001; DRAFT-0002 is now D1-C-002." in page
    assert session.scalars(select(QuestionVersion.difficulty)).all().count("easy") == 2


def test_a_candidate_gets_403_and_changes_nothing(client, session) -> None:
    instructor = UserFactory(role="instructor")
    candidate = UserFactory(role="candidate")
    client.login(instructor.email)
    upload(client)
    client.post("/logout")
    client.login(candidate.email)
    response = client.post(
        "/authoring/drafts/bulk", data={"keys": ["DRAFT-0001"], "subdomain": "D1-C"}
    )
    assert response.status_code == 403
    assert upload(client).status_code == 403
    assert keys(session) == {"D2-A-001", "DRAFT-0001", "DRAFT-0002"}


def test_browser_filters_incomplete_drafts_and_editor_shows_the_checklist(client, session) -> None:
    client.login(UserFactory(role="instructor").email)
    upload(client)
    page = client.get("/authoring/?complete=incomplete").get_data(as_text=True)
    assert "Incomplete: 3 to do" in page and "DRAFT-0002" in page
    editor = client.get("/authoring/questions/DRAFT-0001/edit").get_data(as_text=True)
    assert "Still to complete" in editor and "<li>sub-domain</li>" in editor
    assert "Escapes : colons" in editor
    question = client.get("/authoring/questions/D2-A-001").get_data(as_text=True)
    assert "See the AI management system" in question
    assert "it needs difficulty; exactly four options (has 3); references" in question


def test_submitting_an_incomplete_draft_is_409_naming_parts(client, session) -> None:
    client.login(UserFactory(role="instructor").email)
    upload(client)
    response = client.post(
        "/authoring/questions/D2-A-001/submit", headers={"Accept": "application/json"}
    )
    assert response.status_code == 409
    assert "D2-A-001 is incomplete: it needs difficulty;" in response.get_data(as_text=True)


def test_the_editor_and_question_page_show_options_beyond_d(client, session) -> None:
    client.login(UserFactory(role="instructor").email)
    upload(client)
    editor = client.get("/authoring/questions/DRAFT-0002/edit").get_data(as_text=True)
    assert "The file gave 5 options; the bank needs exactly four. All of them are shown in" in (
        editor
    )
    assert 'name="option_e"' in editor
    assert 'name="option_e" rows="2">\r\nScreen size</textarea>' in editor
    page = client.get("/authoring/questions/DRAFT-0002").get_data(as_text=True)
    assert "All of them are shown in the preview and in the editor" in page
    assert '<span class="option-id" aria-hidden="true">E</span>' in page


def test_saving_an_untagged_draft_with_a_subdomain_rekeys_it(client, session) -> None:
    from tests.web.test_authoring_editor import form_data

    client.login(UserFactory(role="instructor").email)
    upload(client)
    response = client.post(
        "/authoring/questions/DRAFT-0001/edit", data=form_data(subdomain="D3-C", key="x")
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/authoring/questions/D3-C-001")
    assert keys(session) == {"D2-A-001", "D3-C-001", "DRAFT-0002"}
    version = session.scalars(
        select(QuestionVersion).join(Question).where(Question.key == "D3-C-001")
    ).one()
    assert (version.subdomain, version.source_ref) == ("D3-C", "Escapes : colons")
    # A tagged draft keeps its sub-domain whatever the form says.
    client.post("/authoring/questions/D2-A-001/edit", data=form_data(subdomain="D3-C"))
    assert "D2-A-001" in keys(session)


def test_an_admin_publishing_incomplete_items_gets_422_naming_them(client, session) -> None:
    client.login(UserFactory(role="admin").email)
    response = upload(client, publish="y")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "item &#39;Model inventory&#39; is incomplete: it needs difficulty" in html
    assert keys(session) == set()


def test_the_browser_sorts_drafts_without_difficulty_or_subdomain(client, session) -> None:
    client.login(UserFactory(role="instructor").email)
    upload(client)
    for sort in ("difficulty", "subdomain", "status", "lint"):
        page = client.get(f"/authoring/?sort={sort}&dir=desc")
        assert page.status_code == 200
        assert "DRAFT-0001" in page.get_data(as_text=True)
