"""Import and export from the bank browser: upload form, admin-only publish, downloads."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from exam_engine.domain import formats
from exam_engine.models import AuditEvent, Question, QuestionVersion, utcnow
from exam_engine.services import authoring
from exam_engine.services.catalog import bundled_blueprint
from tests.factories import UserFactory
from tests.integration.test_authoring import clean_item
from tests.support import seed_bank

PAGE = "/authoring/transfer"
IMPORT = "/authoring/import"


def csv_file(*keys: str) -> bytes:
    """A CSV export of clean items under the given keys."""
    records = []
    for n, key in enumerate(keys):
        item = clean_item(key=key, stem=f"Scenario number {n} for {key}. Which step is BEST?")
        records.append(item_record(item))
    return formats.write("csv", records, bundled_blueprint())


def item_record(item):
    from exam_engine.domain.bank import validate_items
    from exam_engine.services.authoring import raw_item

    [record], problems = validate_items([raw_item(item)], bundled_blueprint())
    assert not problems
    return record


def upload(client, content: bytes, name: str, fmt: str = "detect", **extra: str):
    # The body is encoded to bytes here: the test client would spool a body over 500 KB to a
    # temporary file that it never closes (a ResourceWarning at some later collection).
    file = FileStorage(io.BytesIO(content), filename=name)
    boundary, body = encode_multipart({"fmt": fmt, "file": file, **extra})
    return client.post(IMPORT, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def questions(session) -> dict[str, str]:
    session.expire_all()
    rows = session.execute(
        select(Question.key, QuestionVersion.status).join(QuestionVersion.question)
    )
    return dict(rows.all())


@pytest.fixture
def instructor(session, client):
    user = UserFactory(role="instructor", email="inst@example.com")
    client.login(user.email)
    return user


@pytest.fixture
def admin(session, client):
    user = UserFactory(role="admin", email="admin@example.com")
    client.login(user.email)
    return user


def test_page_offers_every_format_and_hides_publish_from_instructors(client, instructor) -> None:
    html = client.get(PAGE).get_data(as_text=True)
    for fmt in formats.FORMATS:
        assert f'href="/authoring/export/{fmt}"' in html
        assert f'<option value="{fmt}">' in html
    assert 'name="publish"' not in html
    assert "only an admin can publish on import" in html


def test_admins_see_the_publish_box(client, admin) -> None:
    assert 'name="publish"' in client.get(PAGE).get_data(as_text=True)


def test_an_instructor_imports_drafts(client, session, instructor) -> None:
    response = upload(client, csv_file("D2-B-001", "D2-B-002"), "new.csv")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Imported new.csv (CSV): 2 questions" in html
    assert 'href="/authoring/questions/D2-B-001">D2-B-001</a>' in html
    assert questions(session) == {"D2-B-001": "draft", "D2-B-002": "draft"}
    session.expire_all()
    assert set(session.scalars(select(QuestionVersion.author_id))) == {instructor.id}
    again = upload(client, csv_file("D2-B-001", "D2-B-002"), "new.csv", fmt="csv")
    assert "Unchanged, skipped</dt>\n    <dd>2</dd>" in again.get_data(as_text=True)


def test_an_instructor_asking_to_publish_gets_403_and_nothing_is_written(
    client, session, instructor
) -> None:
    response = upload(client, csv_file("D2-B-001"), "new.csv", publish="y")
    assert response.status_code == 403
    assert "Only an admin may publish on import" in response.get_data(as_text=True)
    assert questions(session) == {}


def test_an_admin_imports_and_publishes(client, session, admin) -> None:
    response = upload(client, csv_file("D2-B-001"), "new.csv", publish="y")
    assert response.status_code == 200
    assert "New questions (published)" in response.get_data(as_text=True)
    assert questions(session) == {"D2-B-001": "published"}


def test_a_bad_file_lists_its_problems_and_writes_nothing(client, session, instructor) -> None:
    content = csv_file("D2-B-001", "D2-B-002").decode("utf-8-sig")
    content = content.replace("D2-B-002", "D2-B-02")
    response = upload(client, content.encode(), "bad.csv")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "bad.csv was not imported: nothing changed" in html
    assert "bad.csv:3:" in html
    assert "D2-B-02" in html
    assert questions(session) == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fmt": "csv"}, "Choose a file to import."),
        ({"fmt": "xlsx", "file": (io.BytesIO(b"x"), "a.csv")}, "Not a valid choice"),
    ],
)
def test_form_errors(client, session, instructor, data, message) -> None:
    response = client.post(IMPORT, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert questions(session) == {}


def test_an_undetectable_format_must_be_chosen(client, session, instructor) -> None:
    response = upload(client, csv_file("D2-B-001"), "questions.txt")
    assert response.status_code == 400
    assert "Cannot tell the format of questions.txt" in response.get_data(as_text=True)
    assert upload(client, csv_file("D2-B-001"), "questions.txt", fmt="csv").status_code == 200


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_export_downloads_the_published_bank(client, session, instructor, fmt) -> None:
    seed_bank(session, per_subdomain=1)
    authoring.create_question(session, instructor.id, clean_item(key="D2-B-002"), now=utcnow())
    response = client.get(f"/authoring/export/{fmt}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="aaism-bank')
    body = response.get_data()
    if zipfile.is_zipfile(io.BytesIO(body)):
        text = "".join(
            zipfile.ZipFile(io.BytesIO(body)).read(n).decode("utf-8", "replace")
            for n in zipfile.ZipFile(io.BytesIO(body)).namelist()
        )
    else:
        text = body.decode("utf-8-sig")
    assert "D3-E-001" in text
    assert "D2-B-002" not in text  # drafts stay out
    session.expire_all()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.actor_id == instructor.id


def test_export_of_an_unknown_format_is_404(client, session, instructor) -> None:
    assert client.get("/authoring/export/docx").status_code == 404
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
