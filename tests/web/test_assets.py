"""Static files: content-hashed URLs cached for a year, one stylesheet a page, compression."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import brotli
import pytest

from tests.factories import UserFactory

LINK = re.compile(r"<link[^>]*>")


def stylesheets(html: str) -> list[str]:
    """The render-blocking stylesheet links (those inside <noscript> load only without script)."""
    html = re.sub(r"<noscript>.*?</noscript>", "", html, flags=re.S)
    return [tag for tag in LINK.findall(html) if 'rel="stylesheet"' in tag]


def href(tag: str) -> str:
    match = re.search(r'href="([^"]+)"', tag)
    assert match, tag
    return match.group(1)


@pytest.fixture
def instructor_client(client, session):
    UserFactory(email="teacher@example.com", role="instructor")
    client.login("teacher@example.com")
    return client


PAGES = [
    "/dashboard",
    "/history",
    "/study/",
    "/cohorts/",
    "/item-analysis/",
    "/authoring/",
    "/instructor",
    "/account",
    "/account/password",
    "/account/data",
]


@pytest.mark.parametrize("path", PAGES)
def test_each_page_links_one_blocking_stylesheet_and_has_a_description(
    instructor_client, path
) -> None:
    response = instructor_client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    links = stylesheets(html)
    assert len(links) == 1, links
    assert "media=" not in links[0]
    assert href(links[0]).startswith("/assets/")
    description = re.search(r'<meta name="description" content="([^"]+)">', html)
    assert description and len(description.group(1)) > 40


def test_the_sign_in_page_too(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert len(stylesheets(html)) == 1
    assert '<meta name="description"' in html


def test_a_hashed_file_is_cached_for_a_year_as_immutable(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    for url in [href(stylesheets(html)[0]), re.search(r'src="(/assets/[^"]+site\.js)"', html)[1]]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Type"].startswith(("text/css", "text/javascript"))


def test_the_bundle_holds_the_page_sheets_and_print_rules_for_print_only(instructor_client):
    html = instructor_client.get("/history").get_data(as_text=True)
    url = href(stylesheets(html)[0])
    assert url.endswith("/bundle/app-scorecard-study.css")
    css = instructor_client.get(url).get_data(as_text=True)
    root = Path(__file__).resolve().parents[2] / "exam_engine" / "static" / "css"
    for name in ("app", "scorecard", "study"):
        assert (root / f"{name}.css").read_text(encoding="utf-8") in css
    printed = (root / "print.css").read_text(encoding="utf-8")
    assert f"@media print {{\n{printed}\n}}" in css
    assert css.index("/* app.css */") < css.index("/* scorecard.css */") < css.index("/* study")


def test_a_signed_in_user_gets_the_hashed_files_cacheable(instructor_client) -> None:
    html = instructor_client.get("/dashboard").get_data(as_text=True)
    response = instructor_client.get(href(stylesheets(html)[0]))
    assert "no-store" not in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/assets/000000000000/css/app.css",  # a digest of other bytes
        "/assets/000000000000/bundle/app-nothing.css",
        "/assets/000000000000/bundle/app-app.css",
        "/assets/000000000000/bundle/other-stats.css",
        "/assets/000000000000/bundle/app-Stats.css",
        "/assets/000000000000/css/missing.css",
        "/assets/000000000000/../__init__.py",
        "/assets/000000000000/%2e%2e/__init__.py",
    ],
)
def test_unknown_or_stale_asset_urls_are_404(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_the_url_changes_when_the_content_changes(app, tmp_path) -> None:
    from exam_engine.web.assets import static_url, stylesheet_url

    static = tmp_path / "static"
    shutil.copytree(Path(str(app.static_folder)), static)
    original = app.static_folder
    app.static_folder = str(static)
    try:
        with app.test_request_context():
            script, sheet = static_url("js/site.js"), stylesheet_url(["stats"])
            assert static_url("js/site.js") == script  # stable while the bytes are
            (static / "js" / "site.js").write_text("// changed\n", encoding="utf-8")
            (static / "css" / "stats.css").write_text(".changed { }\n", encoding="utf-8")
            assert static_url("js/site.js") != script
            assert stylesheet_url(["stats"]) != sheet
            assert stylesheet_url(["study"]) != sheet
        client = app.test_client()
        assert client.get(script).status_code == 404  # the old bytes are gone
    finally:
        app.static_folder = original


@pytest.mark.parametrize(
    ("encoding", "decode"), [("br", brotli.decompress), ("gzip", gzip.decompress)]
)
def test_pages_styles_and_scripts_are_compressed(client, encoding, decode) -> None:
    headers = {"Accept-Encoding": encoding}
    page = client.get("/login", headers=headers)
    assert page.headers["Content-Encoding"] == encoding
    html = decode(page.data).decode("utf-8")
    assert "<h1" in html
    sheet = href(stylesheets(html)[0])
    script = re.search(r'src="(/assets/[^"]+site\.js)"', html)[1]
    for url in (sheet, script):
        response = client.get(url, headers=headers)
        assert response.headers["Content-Encoding"] == encoding, url
        assert "Accept-Encoding" in response.headers["Vary"]
        assert len(response.data) < len(decode(response.data))


def test_no_compression_for_a_client_that_does_not_ask(client) -> None:
    response = client.get("/login", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    assert b"<h1" in response.data


def test_the_printed_scorecard_names_the_candidate(client, session) -> None:
    from exam_engine.models import utcnow
    from exam_engine.services import attempts
    from tests.support import add_template, seed_bank

    seed_bank(session, per_subdomain=2)
    add_template(session, "tiny", item_count=4, minutes=10)
    user = UserFactory(email="pat@example.com", name="Pat <Printer>")
    attempt = attempts.start_attempt(session, user.id, "tiny", now=utcnow())
    attempts.submit_attempt(session, user.id, attempt.id, now=utcnow(), grace_seconds=30)
    client.login(user.email)
    html = client.get(f"/attempts/{attempt.id}/scorecard").get_data(as_text=True)
    assert (
        '<p class="print-only candidate-line">Candidate: <strong>Pat &lt;Printer&gt;</strong>'
        " (pat@example.com)</p>" in html
    )
    css = client.get(href(stylesheets(html)[0])).get_data(as_text=True)
    screen, printed = css.split("@media print {", 1)
    assert ".print-only { display: none; }" in screen
    assert ".print-only { display: block !important; }" in printed


def test_a_template_naming_a_missing_file_fails_loudly(app) -> None:
    from exam_engine.web.assets import static_url, stylesheet_url

    with app.test_request_context():
        with pytest.raises(LookupError, match="'js/nothing.js' does not exist"):
            static_url("js/nothing.js")
        with pytest.raises(LookupError, match="'nothing' does not exist"):
            stylesheet_url(["nothing"])
