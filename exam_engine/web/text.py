"""Markdown rendered safely: markdown-it-py (no raw HTML) then nh3 with an allow-list."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "a", "h3", "h4", "hr", "sub", "sup",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "html": False makes raw HTML in the source literal text; nh3 is the second fence.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def sanitize(html: str) -> str:
    """Keep only allowed tags and attributes; links get safe schemes and rel=noopener."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(source: str) -> Markup:
    """Render block Markdown to sanitized HTML."""
    return Markup(sanitize(_parser().render(source or "")))  # noqa: S704 (sanitized above)


def render_inline(source: str) -> Markup:
    """Render inline Markdown (no paragraphs) to sanitized HTML."""
    return Markup(sanitize(_parser().renderInline(source or "")))  # noqa: S704
