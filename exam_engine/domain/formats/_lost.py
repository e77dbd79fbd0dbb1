"""What a foreign item loses on its way to the editor's Markdown, said in words.

Math (MathML, TeX), complex tables and images cannot be kept: the converter leaves alt text
or a ``[math]`` marker, and the readers warn with the item's name and what changed. A text
that was *only* such content (an option that is an image) has lost its meaning: the item is
skipped rather than imported wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from exam_engine.domain.formats._markup import MEDIA_TAGS, html_markdown

# TeX as Moodle's filter and MathJax read it: $$..$$, \(..\) and \[..\].
TEX = re.compile(r"\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL)
# What a converted text can hold in place of something it could not keep.
_PLACEHOLDER = re.compile(r"\[(?:image|math)(?::[^\]]*)?\]|`[^`]*`")
_NOTHING = re.compile(r"[\s\W_]*")

LOSS_WORDS = {
    "math": "MathML replaced by its alt text or [math]",
    "tex": "TeX math kept as its source in code (the engine does not typeset math)",
    "table": "a table that does not fit a Markdown table flattened to rows",
    "image": "an image or embedded media dropped (its alt text kept)",
}


def tex_as_code(text: str) -> tuple[str, bool]:
    """Wrap TeX spans in code spans, so Markdown shows their source instead of mangling it."""
    found = False

    def code(match: re.Match[str]) -> str:
        nonlocal found
        found = True
        source = " ".join(match.group(0).split())
        fence = "``" if "`" in source else "`"
        return f"{fence}{source}{fence}"

    return TEX.sub(code, text), found


def kinds(dropped: Iterable[str]) -> set[str]:
    """The loss kinds (math, table, image) among the tags a conversion dropped."""
    found: set[str] = set()
    for tag in dropped:
        if tag == "math":
            found.add("math")
        elif tag == "table":
            found.add("table")
        elif tag in MEDIA_TAGS:
            found.add("image")
    return found


def only_lost(text: str) -> bool:
    """True when nothing but placeholders (image, math, code of TeX) and punctuation is left."""
    return _NOTHING.fullmatch(_PLACEHOLDER.sub("", text)) is not None


@dataclass
class Losses:
    """What one item lost, by the field it lost it in (``stem``, ``option B``...)."""

    by_field: dict[str, set[str]] = field(default_factory=dict)
    meaning: list[str] = field(default_factory=list)

    def note(self, where: str, lost: set[str], text: str, *, essential: bool) -> None:
        """Record ``lost`` kinds in ``where``; an essential field left empty loses its meaning."""
        if not lost:
            return
        self.by_field.setdefault(where, set()).update(lost)
        if essential and only_lost(text):
            what = " and ".join(sorted("math" if k == "tex" else k for k in lost))
            self.meaning.append(f"{where} is only {what}, which the engine cannot show")

    def warning(self) -> str | None:
        """One sentence naming each field and what changed in it; None when nothing did."""
        if not self.by_field:
            return None
        parts = [
            f"{where}: " + "; ".join(LOSS_WORDS[kind] for kind in sorted(kinds_))
            for where, kinds_ in self.by_field.items()
        ]
        return "changed on import: " + " | ".join(parts)


def html_text(html: str) -> tuple[str, set[str]]:
    """An HTML fragment as Markdown, with TeX shown as code, and the kinds of content lost."""
    text, dropped = html_markdown(html)
    text, had_tex = tex_as_code(text)
    return text, kinds(dropped) | ({"tex"} if had_tex else set())
