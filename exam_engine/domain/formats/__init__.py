"""Interchange formats for the question bank: pure parsers and writers.

Every parser takes file content (bytes), the file's name (for ``file:line: reason``
messages), the blueprint and the keys that already exist elsewhere, and returns a
:class:`Parsed` ``(items, warnings, problems)``: items are validated with the same rules as
the YAML bank (:func:`exam_engine.domain.bank.validate_items`); warnings name content that
was skipped; any problem means nothing may be imported. Parsers never raise on bad input.

Every writer takes :class:`~exam_engine.domain.bank.ItemRecord` values and returns bytes.
YAML is only written here; it is read by ``question_bank.loader``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.formats import csv_format, gift, moodle_xml, qti, yaml_format
from exam_engine.domain.formats._common import ExportError, Parsed, check_items, is_zip, read_zip

FORMATS: tuple[str, ...] = ("yaml", "csv", "gift", "qti", "moodlexml")
# YAML is read through question_bank.loader (it needs files); the others parse here.
PARSED_HERE: tuple[str, ...] = ("csv", "gift", "qti", "moodlexml")


def parse(
    fmt: str,
    data: bytes,
    *,
    filename: str,
    blueprint: Blueprint,
    known_keys: Iterable[str] = (),
) -> Parsed:
    """Parse ``data`` in format ``fmt`` (csv, gift, qti or moodlexml) as complete items."""
    if fmt == "csv":
        return csv_format.parse(data, filename=filename, blueprint=blueprint, known_keys=known_keys)
    if fmt == "gift":
        return gift.parse(data, filename=filename, blueprint=blueprint, known_keys=known_keys)
    if fmt == "qti":
        return qti.parse(data, filename=filename, blueprint=blueprint, known_keys=known_keys)
    if fmt == "moodlexml":
        return moodle_xml.parse(data, filename=filename, blueprint=blueprint, known_keys=known_keys)
    raise ValueError(f"no parser here for format {fmt!r}; choose one of {', '.join(PARSED_HERE)}")


def write(
    fmt: str,
    items: Sequence[ItemRecord],
    blueprint: Blueprint,
    *,
    blueprint_text: str | None = None,
) -> bytes:
    """Write ``items`` in format ``fmt``; YAML is a zip (``blueprint.yaml`` + ``items/``)."""
    if fmt == "yaml":
        return yaml_format.write(items, blueprint_text)
    if fmt == "csv":
        return csv_format.write(items, blueprint)
    if fmt == "gift":
        return gift.write(items, blueprint)
    if fmt == "qti":
        return qti.write(items, blueprint)
    if fmt == "moodlexml":
        return moodle_xml.write(items, blueprint)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


# What may stand before an XML document's root element: a byte-order mark, the declaration,
# comments, processing instructions, a doctype and white space.
_XML_PROLOGUE = re.compile(
    rb"(?:\xef\xbb\xbf|\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*", re.DOTALL
)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def xml_format(data: bytes) -> str | None:
    """Tell Moodle XML (root ``<quiz>``) from QTI (an item or manifest) by the root element."""
    head = data[:65536]
    prologue = _XML_PROLOGUE.match(head)
    root = _ROOT.match(head, prologue.end() if prologue else 0)
    if root is None:
        return None
    name = root.group(1).decode("ascii", "replace").rpartition(":")[2].lower()
    if name == "quiz":
        return "moodlexml"
    if name in ("assessmentitem", "qti-assessment-item", "manifest"):
        return "qti"
    return None


__all__ = [
    "FORMATS",
    "PARSED_HERE",
    "ExportError",
    "Parsed",
    "check_items",
    "is_zip",
    "parse",
    "read_zip",
    "write",
    "xml_format",
]
