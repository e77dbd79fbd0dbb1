"""The import page and the editor under the limits: 413 with the sizes, the cut problem list."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from exam_engine.domain import formats
from exam_engine.models import Question
from exam_engine.services.catalog import bundled_blueprint
from question_bank import load_bank
from tests.factories import UserFactory
from tests.web.test_authoring_editor import NEW, field_error, form_data
from tests.web.test_authoring_transfer import upload


@pytest.fixture
def instructor(session, client):
    user = UserFactory(role="instructor", email="limits@example.com")
    client.login(user.email)
    return user


def questions(session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Question)) or 0)


def bad_csv(count: int) -> bytes:
    items = load_bank().items[:count]
    records = [dataclasses.replace(item, difficulty="veryhard") for item in items]
    return formats.write("csv", records, bundled_blueprint())


def test_a_file_just_over_the_cap_is_413_naming_the_file_its_size_and_the_cap(
    app, client, session, instructor, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)
    response = upload(client, b"x" * 2500, "bank.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "bank.csv:1: the file is 2 KB (2,500 bytes); the import limit is 1,000 bytes" in html
    assert "Files up to 1,000 bytes." in html
    assert questions(session) == 0


def test_a_body_far_over_the_cap_is_413_with_its_size(
    app, client, session, instructor, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)
    response = upload(client, b"x" * 200_000, "bank.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "The upload is 196 KB; bank files up to 1,000 bytes can be imported." in html
    assert questions(session) == 0


def test_the_import_page_accepts_more_than_other_pages(
    app, client, session, instructor, monkeypatch
) -> None:
    # 9 MB is over MAX_CONTENT_LENGTH (8 MB) but under the import's 50 MB: it is parsed.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    response = upload(client, bad_csv(1) + b"\n" * (2 * 1024 * 1024), "bank.csv")
    assert response.status_code == 400
    assert "must be one of easy, medium, hard" in response.get_data(as_text=True)


def test_other_pages_keep_their_own_413_message(app, client, instructor, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = client.post(NEW, data=form_data(stem="x" * 5000))
    assert response.status_code == 413
    assert "this page accepts up to 1,000 bytes." in response.get_data(as_text=True)


def test_a_long_problem_list_shows_50_and_a_count_of_the_rest(client, session, instructor) -> None:
    response = upload(client, bad_csv(120), "bad.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count("must be one of easy, medium, hard") == 50
    assert "... and 70 more problems" in html
    assert "these 120 problems" in html
    assert questions(session) == 0


def test_an_over_long_stem_is_refused_on_the_import_page(client, session, instructor) -> None:
    item = dataclasses.replace(load_bank().items[0], stem="word " * 2500 + "Which is BEST?")
    content = formats.write("csv", [item], bundled_blueprint())
    response = upload(client, content, "long.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"item &#39;{item.key}&#39; stem is 12,514 characters; the limit is 10,000" in html
    assert questions(session) == 0


def test_the_editor_uses_the_configured_field_limits(
    app, client, session, instructor, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "ITEM_FIELD_LIMITS", {"stem": 30})
    response = client.post(NEW, data=form_data(stem="x" * 31, action="save"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The stem is 31 characters; the limit is 30" in field_error(html, "stem")
    assert questions(session) == 0
