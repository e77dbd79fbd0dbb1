"""The site icon: linked from every page and answered at /favicon.ico, for anyone."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.factories import UserFactory

SVG = "{http://www.w3.org/2000/svg}svg"


def test_favicon_ico_answers_with_the_svg_icon_without_sign_in(client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert ET.fromstring(response.get_data()).tag == SVG
    assert response.cache_control.max_age == 86400
    assert response.cache_control.public
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get("/favicon.ico", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_every_layout_page_links_the_icon_and_the_link_resolves(client) -> None:
    UserFactory(email="cand@example.com")
    pages = [client.get("/login").get_data(as_text=True)]
    client.login("cand@example.com")
    pages.append(client.get("/dashboard").get_data(as_text=True))
    for page in pages:
        link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
        assert link, "layout has no icon link"
        with client.get(link.group(1)) as icon:
            assert icon.status_code == 200
            assert icon.mimetype == "image/svg+xml"
            assert icon.get_data() == client.get("/favicon.ico").get_data()
