"""HTML or XHTML content turned into the bank's Markdown text.

The bank stores Markdown (rendered later with raw HTML disabled), so HTML from a GIFT
``[html]`` text or a foreign QTI item is converted: paragraphs, line breaks, bold, italics,
code, lists and links survive; other tags keep their text and are reported as dropped.

``verbatim`` reading is for content this engine wrote itself: whitespace is kept exactly,
``<br/>`` is a newline and each ``<p>`` a paragraph (empty ones included), so an export reads
back to the same text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser

BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "main", "aside", "blockquote",
        "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot", "tr",
        "figure", "figcaption", "dl", "dt", "dd", "address", "qti-content-body", "body", "html",
    }
)  # fmt: skip
MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`"}
TRANSPARENT_TAGS = frozenset(
    {"span", "u", "sub", "sup", "small", "big", "font", "abbr", "cite", "q", "mark", "s",
     "td", "th", "label", "time", "bdi", "bdo", "dfn", "kbd", "samp", "var", "ins", "del"}
)  # fmt: skip
DROP_CONTENT_TAGS = frozenset({"script", "style", "head", "title", "template"})
# Media the bank's Markdown cannot show: each leaves its alt text (or title) and is reported.
MEDIA_TAGS = frozenset(
    {"img", "svg", "object", "embed", "iframe", "video", "audio", "canvas", "picture"}
)
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
VOID_TAGS = frozenset(
    {"br", "img", "hr", "input", "meta", "link", "wbr", "col", "area", "base", "source"}
)
_SPACE = re.compile(r"[ \t\r\n\f\v]+")


def local_name(tag: object) -> str:
    """An element's tag without its namespace (``{ns}p`` -> ``p``), lower-cased."""
    if not isinstance(tag, str):
        return ""  # comments and processing instructions
    return tag.rpartition("}")[2].lower()


class _Walker:
    """Collects blocks of inline text from an element tree."""

    def __init__(self, verbatim: bool, skip: Callable[[ET.Element], bool]) -> None:
        self.verbatim = verbatim
        self.skip = skip
        self.blocks: list[str] = []
        self.inline: list[str] = []
        self.open = False
        self.list_depth = 0
        self.dropped: set[str] = set()

    def flush(self, *, pre: bool = False) -> None:
        if self.open:
            text = "".join(self.inline)
            if not self.verbatim and not pre:
                text = "\n".join(line.strip() for line in text.split("\n")).strip()
            if self.verbatim or text.strip():
                self.blocks.append(text)
        self.inline = []
        self.open = False

    def text(self, value: str | None, *, pre: bool = False) -> None:
        if not value:
            return
        if not self.open and not value.strip():
            return  # layout whitespace between blocks
        if not self.verbatim and not pre:
            value = _SPACE.sub(" ", value)
        self.inline.append(value)
        self.open = True

    def children(self, element: ET.Element, *, pre: bool = False) -> None:
        self.text(element.text, pre=pre)
        for child in element:
            self.walk(child, pre=pre)
            self.text(child.tail, pre=pre)

    def walk(self, element: ET.Element, *, pre: bool = False) -> None:
        tag = local_name(element.tag)
        if not tag or self.skip(element):
            return
        if tag in DROP_CONTENT_TAGS:
            self.dropped.add(tag)
        elif tag == "br":
            self.inline.append("\n")
            self.open = True
        elif tag == "hr":
            self.flush()
            self.blocks.append("---")
        elif tag == "pre":
            self.flush()
            self.inline.append("```\n")
            self.open = True
            self.children(element, pre=True)
            self.inline.append("\n```")
            self.flush(pre=True)
        elif tag in ("ul", "ol"):
            self.flush()
            first_block = len(self.blocks)
            self.list_depth += 1
            number = 0
            for child in element:
                if local_name(child.tag) == "li":
                    number += 1
                    self.flush()
                    marker = f"{number}. " if tag == "ol" else "- "
                    self.inline.append("  " * (self.list_depth - 1) + marker)
                    self.open = True
                    self.children(child, pre=pre)
                    self.flush()
                else:
                    self.walk(child, pre=pre)
            self.list_depth -= 1
            # One block for the whole list, so its items stay a tight Markdown list.
            items = self.blocks[first_block:]
            del self.blocks[first_block:]
            if items:
                self.blocks.append("\n".join(items))
        elif tag == "table" and not self.verbatim:
            self.flush()
            table, simple = _table_markdown(self, element)
            if not simple:
                self.dropped.add("table")
            if table:
                self.blocks.append(table)
        elif tag in BLOCK_TAGS or tag == "li":
            self.flush()
            self.open = tag in ("p", "li") or self.open
            self.children(element, pre=pre)
            self.flush()
        elif tag in MARKS:
            inner = _Walker(self.verbatim, self.skip)
            inner.open = True
            inner.children(element, pre=pre)
            self.dropped |= inner.dropped
            content = "\n\n".join([*inner.blocks, "".join(inner.inline)]).strip()
            if content:
                self.inline.append(f"{MARKS[tag]}{content}{MARKS[tag]}")
                self.open = True
        elif tag == "a":
            href = (element.get("href") or "").strip()
            start = len(self.inline)
            self.children(element, pre=pre)
            label = "".join(self.inline[start:]).strip()
            if href and label and not href.lower().startswith(("javascript:", "data:")):
                self.inline[start:] = [f"[{label}]({href})"]
        elif tag in MEDIA_TAGS:
            self.dropped.add(tag)
            alt = (element.get("alt") or element.get("title") or "").strip()
            if alt:
                self.text(f"[image: {alt}]")
        elif tag == "math":
            # Flattened MathML reads wrong (x<sup>2</sup> becomes "x2"): keep its alt text only.
            self.dropped.add("math")
            alt = (element.get("alttext") or element.get("alt") or "").strip()
            self.text(f"[math: {alt}]" if alt else "[math]")
        elif tag in TRANSPARENT_TAGS:
            self.children(element, pre=pre)
        else:
            self.dropped.add(tag)
            self.children(element, pre=pre)


def _cell_text(walker: _Walker, cell: ET.Element) -> str:
    inner = _Walker(walker.verbatim, walker.skip)
    inner.open = True
    inner.children(cell)
    walker.dropped |= inner.dropped
    blocks = [*inner.blocks, "".join(inner.inline)]
    return " ".join(" ".join(b.split()) for b in blocks if b.strip()).replace("|", "\\|")


def _table_markdown(walker: _Walker, table: ET.Element) -> tuple[str, bool]:
    """A table as a Markdown table, and whether it fitted (no spans, no nested blocks).

    A table that does not fit is written one row a line, cells separated by ``|``.
    """
    rows = [row for row in table.iter() if local_name(row.tag) == "tr"]
    cells = [[c for c in row if local_name(c.tag) in ("td", "th")] for row in rows]
    simple = all(
        not (c.get("colspan") or c.get("rowspan"))
        and not any(
            local_name(d.tag) in BLOCK_TAGS | {"ul", "ol", "pre", "br"}
            for d in c.iter()
            if d is not c
        )
        for row in cells
        for c in row
    )
    texts = [[_cell_text(walker, c) for c in row] for row in cells]
    texts = [row for row in texts if any(row)]
    if not texts:
        return "", simple
    width = max(len(row) for row in texts)
    if not simple or width < 1:
        return "\n".join(" | ".join(row) for row in texts), False
    padded = [row + [""] * (width - len(row)) for row in texts]
    lines = ["| " + " | ".join(row) + " |" for row in padded]
    lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines), True


def element_markdown(
    element: ET.Element,
    *,
    verbatim: bool,
    skip: Callable[[ET.Element], bool] = lambda _element: False,
) -> tuple[str, frozenset[str]]:
    """Return an element's content as Markdown text and the tags whose markup was dropped.

    ``skip`` leaves out chosen sub-elements (and their text) such as an embedded interaction.
    """
    walker = _Walker(verbatim, skip)
    walker.open = verbatim and len(element) == 0
    walker.children(element)
    walker.flush()
    text = "\n\n".join(walker.blocks)
    return (text if verbatim else text.strip()), frozenset(walker.dropped)


class _TreeBuilder(HTMLParser):
    """Builds a forgiving ElementTree from an HTML fragment (unclosed tags are closed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("div")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        parent = self.stack[-1]
        if len(parent):
            last = parent[-1]
            last.tail = (last.tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def html_markdown(html: str, *, verbatim: bool = False) -> tuple[str, frozenset[str]]:
    """Convert an HTML fragment to Markdown text; also return the tags that were dropped.

    ``verbatim`` is for HTML this engine wrote (see :func:`element_markdown`).
    """
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return element_markdown(builder.root, verbatim=verbatim)
