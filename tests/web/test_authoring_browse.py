"""The bank browser page: search, filters, sorting, paging, newest version and status."""

from __future__ import annotations

import re

import pytest

from exam_engine.models import utcnow
from exam_engine.services import authoring
from tests.factories import UserFactory
from tests.integration.test_authoring import clean_item
from tests.support import seed_bank

INDEX = "/authoring/"


def keys(html: str) -> list[str]:
    """Question keys in table order."""
    return re.findall(r'<a href="/authoring/questions/([A-Z0-9-]+)"><strong>', html)


@pytest.fixture
def bank(session, client):
    seed_bank(session, per_subdomain=2)
    author = UserFactory(role="instructor", email="author@example.com", name="Ada Author")
    reviewer = UserFactory(role="instructor")
    authoring.create_question(session, author.id, clean_item(key="D2-B-003"), now=utcnow())
    authoring.submit_for_review(session, author.id, "D2-B-003", now=utcnow())
    authoring.publish(session, reviewer.id, "D2-B-003", now=utcnow())
    authoring.save_draft(
        session, author.id, "D2-B-003", clean_item(key="D2-B-003", difficulty="easy"), now=utcnow()
    )
    options = ("Always filter inputs", "Encode outputs", "Rotate keys", "Log every call")
    authoring.create_question(
        session,
        author.id,
        clean_item(
            key="D2-B-004", stem="Which control BEST limits prompt injection?", options=options
        ),
        now=utcnow(),
    )
    client.login(author.email)


def test_browser_lists_the_newest_version_with_status_and_lint(client, bank) -> None:
    html = client.get(INDEX).get_data(as_text=True)
    assert "Showing 1&ndash;25 of 28 questions, sorted by key (ascending)." in html
    assert keys(html)[:3] == ["D1-A-001", "D1-A-002", "D1-B-001"]
    page2 = client.get(INDEX + "?page=2").get_data(as_text=True)
    assert keys(page2) == ["D3-D-002", "D3-E-001", "D3-E-002"]
    filtered = client.get(INDEX + "?subdomain=D2-B").get_data(as_text=True)
    row = filtered[filtered.index("D2-B-003</strong>") :].split("</tr>")[0]
    assert 'status-draft">Draft</span>' in row
    assert "v2" in row
    assert "v1 is live" in row
    assert "Ada Author" in row
    row4 = filtered[filtered.index("D2-B-004</strong>") :].split("</tr>")[0]
    assert "2 warnings" in row4  # "always" and "every"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=prompt+injection", ["D2-B-004"]),
        ("?q=D3-E", ["D3-E-001", "D3-E-002"]),
        ("?domain=D2&status=draft", ["D2-B-003", "D2-B-004"]),
        ("?subdomain=D2-B&lint=warnings", ["D2-B-004"]),
        ("?subdomain=D2-B&lint=clean", ["D2-B-001", "D2-B-002", "D2-B-003"]),
        ("?subdomain=D1-A&difficulty=hard", ["D1-A-002"]),
        ("?status=in_review", []),
    ],
)
def test_browser_filters(client, bank, query, expected) -> None:
    response = client.get(INDEX + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert keys(html) == expected
    if not expected:
        assert "No question matches these filters." in html


def test_browser_sorts_with_links_that_keep_the_filters(client, bank) -> None:
    html = client.get(INDEX + "?domain=D2&sort=key&dir=desc").get_data(as_text=True)
    assert keys(html)[0] == "D2-C-002"
    assert 'aria-sort="descending"' in html
    # The key column's link flips the order and keeps the domain filter.
    link = re.search(r'<a class="sort-link" href="([^"]+)">Key', html).group(1)
    assert "domain=D2" in link
    assert "dir=asc" in link
    ascending = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert keys(ascending)[0] == "D2-A-001"
    by_status = client.get(INDEX + "?domain=D2&sort=status").get_data(as_text=True)
    assert keys(by_status)[:2] == ["D2-B-003", "D2-B-004"]


def test_browser_pagination_links_keep_the_query(client, bank) -> None:
    html = client.get(INDEX + "?q=Synthetic&sort=subdomain").get_data(as_text=True)
    assert 'rel="next"' in html
    link = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    assert "q=Synthetic" in link
    assert "sort=subdomain" in link
    assert "page=2" in link
    page2 = client.get(link).get_data(as_text=True)
    assert 'aria-current="page" class="current">2<' in page2
    assert "Showing 26&ndash;26 of 26" in page2


@pytest.mark.parametrize(
    ("query", "field_id"),
    [
        ("?status=lost", "status"),
        ("?lint=maybe", "lint"),
        ("?subdomain=D9-Z", "subdomain"),
        ("?sort=colour", "sort"),
        ("?page=0", "page"),
        ("?page=abc", "page"),
    ],
)
def test_bad_filters_are_400_with_the_field_named(client, bank, query, field_id) -> None:
    response = client.get(INDEX + query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field_id}-error"' in html
    assert "so it was ignored." in html
    # The bad filter is ignored, not guessed at: the whole bank is listed.
    assert "of 28 questions" in html
