"""Limits on what an import reads: the file's size, each text field's length, the messages.

Every format passes through these checks: the size before anything is parsed, the field
lengths over the parsed items (one place, whatever the format), and the problem list is cut
to its first lines with a count of the rest where people read it (the CLI, the import page).

Why these defaults: the bundled bank's longest stem is about 500 characters, its longest
option about 100, its longest rationale about 400 and its longest reference about 150. The
caps leave twenty times that room for a real item (a scenario stem with a table in
Markdown), while a field a thousand times longer is a mistake or an attack that would
otherwise be stored, hashed and shown on every page that lists the item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from exam_engine.domain.bank import ItemRecord, Problem
from exam_engine.domain.formats.foreign import ForeignItem
from exam_engine.domain.plurals import plural

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
PROBLEM_LINES = 50
# A text far over any field's limit is refused where it is read, before it is converted
# (HTML to Markdown makes several copies of it): CSV's cell cap, Moodle XML's <text>.
MAX_TEXT_CHARS = 1_000_000


@dataclass(frozen=True)
class FieldLimits:
    """The most characters each text field of an item may hold."""

    stem: int = 10_000
    option: int = 1_000
    rationale: int = 4_000
    reference: int = 1_000
    references: int = 50  # how many references one item may list
    key: int = 40

    @classmethod
    def from_setting(cls, value: Mapping[str, Any] | None) -> FieldLimits:
        """Defaults overridden by a mapping such as ``{"stem": 20000}``; bad names raise."""
        if not value:
            return cls()
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(
                f"unknown {plural(len(unknown), 'field limit')} {', '.join(unknown)}: "
                f"choose from {', '.join(sorted(known))}"
            )
        limits: dict[str, int] = {}
        for name, number in value.items():
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise ValueError(
                    f"field limit {name!r} must be a whole number >= 1, got {number!r}"
                )
            limits[name] = number
        return replace(cls(), **limits)


DEFAULT_FIELD_LIMITS = FieldLimits()


@dataclass(frozen=True)
class ImportLimits:
    """An import's limits: the file's size in bytes and each field's length."""

    max_bytes: int = DEFAULT_MAX_BYTES
    fields: FieldLimits = DEFAULT_FIELD_LIMITS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ImportLimits:
        """Read ``IMPORT_MAX_BYTES`` and ``ITEM_FIELD_LIMITS``; a bad value raises ValueError."""
        size = config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"IMPORT_MAX_BYTES must be a whole number of bytes >= 1, got {size!r}")
        setting = config.get("ITEM_FIELD_LIMITS") or {}
        if not isinstance(setting, Mapping):
            raise ValueError(
                f"ITEM_FIELD_LIMITS must map field names to lengths, e.g. "
                f'{{"stem": 20000}}, got {setting!r}'
            )
        try:
            fields_ = FieldLimits.from_setting(setting)
        except ValueError as error:
            raise ValueError(f"ITEM_FIELD_LIMITS: {error}") from error
        return cls(size, fields_)


DEFAULT_IMPORT_LIMITS = ImportLimits()


def megabytes(size: int) -> str:
    """A byte count for people: ``52.4 MB``, ``50 MB``, ``812 KB``."""
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        return f"{value:,.0f} MB" if value == int(value) else f"{value:,.1f} MB"
    if size >= 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size:,} bytes"


def size_problem(file: str, size: int, max_bytes: int) -> Problem | None:
    """A problem naming the file, its size and the cap when it is too large, else None."""
    if size <= max_bytes:
        return None
    return Problem(
        file,
        1,
        f"the file is {megabytes(size)} ({size:,} bytes); the import limit is "
        f"{megabytes(max_bytes)}: split it into smaller files",
    )


def _item_name(item: ItemRecord) -> str:
    return f"item {item.key!r}" if item.key else "the item"


def _texts(item: ItemRecord, limits: FieldLimits) -> Iterable[tuple[str, str, str, int]]:
    """(field, label in messages, text, limit) for each limited text field of an item."""
    yield "key", "key", item.key, limits.key
    yield "stem", "stem", item.stem, limits.stem
    for label, text in zip("ABCD", item.options, strict=False):
        yield f"options.{label}", f"option {label}", text, limits.option
    for label, text in zip("ABCD", item.rationales, strict=False):
        yield f"rationale.{label}", f"rationale {label}", text, limits.rationale
    for index, text in enumerate(item.references):
        yield f"references.{index}", f"reference {index + 1}", text, limits.reference


def field_problems(
    items: Iterable[ItemRecord], limits: FieldLimits = DEFAULT_FIELD_LIMITS
) -> list[Problem]:
    """A problem for each text field longer than its limit, naming the item and the field.

    ``file:line: item 'D1-A-001' stem is 52,000,000 characters; the limit is 10,000``.
    """
    problems: list[Problem] = []
    for item in items:
        name = _item_name(item)
        for field_name, label, text, limit in _texts(item, limits):
            if len(text) > limit:
                problems.append(
                    Problem(
                        item.source.file,
                        item.line_of(field_name),
                        f"{name} {label} is {len(text):,} characters; the limit is {limit:,}",
                    )
                )
        if len(item.references) > limits.references:
            problems.append(
                Problem(
                    item.source.file,
                    item.line_of("references"),
                    f"{name} lists {len(item.references):,} references; "
                    f"the limit is {limits.references:,}",
                )
            )
    return problems


def foreign_field_problems(
    items: Iterable[ForeignItem], limits: FieldLimits = DEFAULT_FIELD_LIMITS
) -> list[Problem]:
    """The same caps for another tool's items, named by the file's own name for each."""
    problems: list[Problem] = []
    for item in items:
        name = f"question {item.source_ref!r}" if item.source_ref else "the question"
        labels = [chr(ord("A") + n) for n in range(len(item.options))]
        texts = [
            ("stem", item.stem, limits.stem),
            ("general feedback", item.general_feedback, limits.rationale),
            *(
                (f"option {b}", t, limits.option)
                for b, t in zip(labels, item.options, strict=False)
            ),
            *(
                (f"feedback {b}", t, limits.rationale)
                for b, t in zip(labels, item.rationales, strict=False)
            ),
            *((f"reference {n + 1}", t, limits.reference) for n, t in enumerate(item.references)),
        ]
        for label, text, limit in texts:
            if len(text) > limit:
                problems.append(
                    Problem(
                        item.file,
                        item.line,
                        f"{name} {label} is {len(text):,} characters; the limit is {limit:,}",
                    )
                )
    return problems


def text_problem(what: str, text: str, limit: int) -> str | None:
    """The editor's message for one over-long field, or None when it fits."""
    if len(text) <= limit:
        return None
    return f"{what} is {len(text):,} characters; the limit is {limit:,}"


def capped(problems: Iterable[Problem], limit: int = PROBLEM_LINES) -> tuple[list[Problem], int]:
    """The first ``limit`` problems (by file and line), and how many more there were."""
    kept = sorted(set(problems), key=lambda p: (p.file, p.line, p.reason))
    return kept[:limit], max(0, len(kept) - limit)


def more_line(count: int) -> str:
    """``... and 36,950 more problems`` (or '' when there are none)."""
    if count <= 0:
        return ""
    return f"... and {count:,} more problem{'s' if count != 1 else ''}"


# --- encodings ---------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)


def utf8_problem(data: bytes, file: str) -> Problem | None:
    """A "not UTF-8" problem (with the line of the first bad byte), or None for UTF-8 bytes.

    A UTF-16 or UTF-32 byte-order mark is named as such, since those files fail on their
    first byte and "byte 0xff" would not tell the user what to change.
    """
    for mark, name in _BOMS:
        if data.startswith(mark):
            return Problem(file, 1, f"not UTF-8: the file is {name}; save it as UTF-8")
    if b"\x00" in data[:4]:
        # "<\x00?\x00" is how UTF-16 without a byte-order mark starts; UTF-8 text never does.
        return Problem(file, 1, "not UTF-8: the file looks like UTF-16; save it as UTF-8")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(
            file,
            line,
            f"not UTF-8: byte 0x{data[exc.start]:02x} on this line is not valid UTF-8; "
            "save the file as UTF-8",
        )
    return None


_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def xml_encoding_problem(data: bytes, file: str) -> Problem | None:
    """A "not UTF-8" problem for XML that declares or uses another encoding, else None."""
    head = data[:200].lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"<?xml"):
        found = _ENCODING.search(head.split(b"?>", 1)[0])
        if found is not None and found.group(1).lower() not in (b"utf-8", b"utf8"):
            name = found.group(1).decode("ascii")
            return Problem(
                file,
                1,
                f"not UTF-8: the XML declaration says encoding={name!r}; save the file as UTF-8",
            )
    return utf8_problem(data, file)


def wide_encoding(data: bytes) -> bool:
    """True when the bytes start as UTF-16 or UTF-32 XML does (a mark, or ``<`` and zeros)."""
    if any(data.startswith(mark) for mark, _ in _BOMS):
        return True
    return data[:2] in (b"<\x00", b"\x00<") or data[:4] == b"\x00\x00\x00<"
