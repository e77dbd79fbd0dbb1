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

from collections.abc import Iterable, Sequence

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.formats import csv_format, gift, qti, yaml_format
from exam_engine.domain.formats._common import ExportError, Parsed, check_items, is_zip, read_zip

FORMATS: tuple[str, ...] = ("yaml", "csv", "gift", "qti")
# YAML is read through question_bank.loader (it needs files); the others parse here.
PARSED_HERE: tuple[str, ...] = ("csv", "gift", "qti")


def parse(
    fmt: str,
    data: bytes,
    *,
    filename: str,
    blueprint: Blueprint,
    known_keys: Iterable[str] = (),
) -> Parsed:
    """Parse ``data`` in format ``fmt`` (csv, gift or qti)."""
    if fmt == "csv":
        return csv_format.parse(data, filename=filename, blueprint=blueprint, known_keys=known_keys)
    if fmt == "gift":
        return gift.parse(data, filename=filename, blueprint=blueprint, known_keys=known_keys)
    if fmt == "qti":
        return qti.parse(data, filename=filename, blueprint=blueprint, known_keys=known_keys)
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
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


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
]
