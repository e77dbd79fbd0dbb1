"""The bank as CSV: one row an item, spreadsheet-friendly, both ways.

Columns (any order; names are case-insensitive, spaces count as underscores):
``key, domain, subdomain, difficulty, stem, option_a .. option_d, answer,
rationale_a .. rationale_d, references, enemies``. ``domain``, ``subdomain`` and ``enemies``
may be left out: the sub-domain is then read from the key, the domain from the sub-domain.
References are separated by ``|`` (written `` | ``; a literal ``|`` is ``\\|`` and a
backslash ``\\\\``); enemies by ``|``, commas or spaces.

Files are UTF-8; the writer adds a byte-order mark (so Excel reads UTF-8) and CRLF line
ends, and prefixes a cell that starts with ``= + - @`` (or a tab or carriage return) with
an apostrophe so a spreadsheet does not run it as a formula; the reader undoes both. A
header that uses ``;`` or tabs instead of commas is detected.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from exam_engine.domain.bank import ItemRecord, Problem, RawItem, did_you_mean
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.formats._common import (
    Parsed,
    bytes_format,
    check_items,
    domain_mismatch,
    sorted_items,
    subdomain_from_key,
)
from exam_engine.domain.formats.limits import MAX_TEXT_CHARS
from exam_engine.domain.plurals import plural

LABELS = ("a", "b", "c", "d")
COLUMNS: tuple[str, ...] = (
    "key",
    "domain",
    "subdomain",
    "difficulty",
    "stem",
    *(f"option_{label}" for label in LABELS),
    "answer",
    *(f"rationale_{label}" for label in LABELS),
    "references",
    "enemies",
    "as_of",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("domain", "subdomain", "enemies", "as_of")
# Written only when an item has one, so exports without imported items keep their columns.
SOURCE_REF_COLUMN = "source_ref"
READ_COLUMNS: tuple[str, ...] = (*COLUMNS, SOURCE_REF_COLUMN)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# csv's own cap (131,072 characters a cell) would refuse a stem over it as a bare "field larger
# than field limit"; cells up to a million characters are read instead, so the per-field
# limits (formats.limits) name the item and the field, while a cell far beyond any limit
# (a 50 MB stem) still stops the reader at once, before a row or an item is built from it.
# The setting is process-wide and only ever raised here.
CSV_CELL_CHARS = MAX_TEXT_CHARS
if csv.field_size_limit() < CSV_CELL_CHARS:
    csv.field_size_limit(CSV_CELL_CHARS)


def guard(cell: str) -> str:
    """Prefix an apostrophe where a spreadsheet would read a formula (reversible)."""
    needs = cell.startswith(FORMULA_START) or (
        cell.startswith("'") and cell[1:2] != "" and cell[1] in (*FORMULA_START, "'")
    )
    return "'" + cell if needs else cell


def unguard(cell: str) -> str:
    """Undo :func:`guard`."""
    if cell.startswith("'") and cell[1:2] != "" and cell[1] in (*FORMULA_START, "'"):
        return cell[1:]
    return cell


def join_references(references: Iterable[str]) -> str:
    """Join references with `` | ``, escaping backslashes and pipes inside them."""
    return " | ".join(r.replace("\\", "\\\\").replace("|", "\\|") for r in references)


def split_references(cell: str) -> list[str]:
    """Split a references cell at unescaped pipes; blank entries are dropped."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(cell):
        char = cell[index]
        if char == "\\" and index + 1 < len(cell) and cell[index + 1] in "\\|":
            current.append(cell[index + 1])
            index += 2
            continue
        if char == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def split_keys(cell: str) -> list[str]:
    """Split an enemies cell at pipes, commas or whitespace."""
    return [k for k in cell.replace("|", " ").replace(",", " ").split() if k]


def _column_name(cell: str) -> str:
    return "_".join(cell.strip().lstrip(BOM).lower().replace("-", " ").split())


def first_line(text: str) -> str:
    """The text up to its first line feed (without copying the rest, as split would)."""
    end = text.find("\n")
    return text if end == -1 else text[:end]


def _delimiter(text: str) -> str:
    """Comma, unless the header line has none and uses semicolons or tabs instead."""
    first = first_line(text)
    if "," in first:
        return ","
    for candidate in (";", "\t"):
        if candidate in first:
            return candidate
    return ","


def csv_lines(data: bytes) -> tuple[Iterator[str], str]:
    """The lines of checked UTF-8 CSV bytes, decoded as they are read, and the delimiter.

    Split as ``newline=""`` asks (at CR, LF or CRLF, kept), a byte-order mark dropped. Not
    ``io.StringIO(text)``: it holds four bytes a character, 200 MB for a 50 MB file.
    """
    end = data.find(b"\n")
    head = data if end == -1 else data[:end]
    delimiter = _delimiter(head.decode("utf-8-sig", "replace"))
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""), delimiter


def _read_bytes(
    data: bytes, filename: str, blueprint: Blueprint, known_keys: Iterable[str]
) -> Parsed:
    lines, delimiter = csv_lines(data)
    return _read(lines, delimiter, filename, blueprint, known_keys)


def _read(
    lines: Iterable[str],
    delimiter: str,
    filename: str,
    blueprint: Blueprint,
    known_keys: Iterable[str],
) -> Parsed:
    problems: list[Problem] = []
    warnings: list[Problem] = []
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    consumed = 0
    try:
        for row in reader:
            rows.append((consumed + 1, row))
            consumed = reader.line_num
    except csv.Error as exc:
        message = f"CSV syntax error: {exc}"
        if "field larger than field limit" in str(exc):
            message = (
                f"a cell is longer than {csv.field_size_limit():,} characters, far over any "
                "item field's limit"
            )
        problems.append(Problem(filename, consumed + 1, message))
        return Parsed((), (), tuple(problems))

    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return Parsed((), (), (Problem(filename, 1, "the file is empty: expected a header row"),))
    header_line, header = rows[0]
    names = [_column_name(unguard(cell)) for cell in header]
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            continue
        if name in columns:
            problems.append(
                Problem(filename, header_line, f"column {name!r} appears twice in the header")
            )
        elif name not in READ_COLUMNS:
            warnings.append(
                Problem(
                    filename,
                    header_line,
                    f"column {header[index].strip()!r} is not read"
                    f"{did_you_mean(name, READ_COLUMNS)}",
                )
            )
        else:
            columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(
            Problem(
                filename,
                header_line,
                f"missing {plural(len(missing), 'column')}: {', '.join(missing)} (the header needs "
                f"{', '.join(REQUIRED_COLUMNS)})",
            )
        )
    if problems:
        return Parsed((), tuple(warnings), tuple(problems))

    raws: list[RawItem] = []
    for line, row in rows[1:]:
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            problems.append(
                Problem(
                    filename,
                    line,
                    f"the row has {len(row)} cells but the header has {len(header)} "
                    "(quote a cell that contains the delimiter)",
                )
            )
            continue

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            if index is None or index >= len(row):
                return ""
            return unguard(row[index])

        raw_data: dict[str, object] = {
            "key": cell("key"),
            "difficulty": cell("difficulty").strip().lower(),
            "stem": cell("stem"),
            "options": {label.upper(): cell(f"option_{label}") for label in LABELS},
            "answer": _answer(cell("answer")),
            "rationale": {label.upper(): cell(f"rationale_{label}") for label in LABELS},
            "references": split_references(cell("references")),
        }
        subdomain = cell("subdomain").strip() or subdomain_from_key(cell("key"))
        if subdomain:
            raw_data["subdomain"] = subdomain
        enemies = split_keys(cell("enemies"))
        if enemies:
            raw_data["enemies"] = enemies
        if cell("as_of").strip():
            raw_data["as_of"] = cell("as_of").strip()
        if cell("source_ref").strip():
            raw_data["source_ref"] = cell("source_ref").strip()
        reason = domain_mismatch(cell("domain"), subdomain, blueprint)
        if reason:
            key = cell("key").strip()
            problems.append(Problem(filename, line, f"item {key}: {reason}" if key else reason))
        raws.append(RawItem(filename, line, raw_data, {}))
    return check_items(raws, blueprint, known_keys=known_keys, problems=problems, warnings=warnings)


parse = bytes_format(_read_bytes, "CSV")


def _answer(cell: str) -> str:
    value = cell.strip()
    return value.upper() if len(value) == 1 else value


def write(items: Sequence[ItemRecord], blueprint: Blueprint | None = None) -> bytes:
    """Write items as CSV: UTF-8 with a byte-order mark, CRLF, a header row, one row an item."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    with_refs = any(item.source_ref for item in items)
    writer.writerow(READ_COLUMNS if with_refs else COLUMNS)
    for item in sorted_items(items):
        row = [
            item.key,
            item.domain,
            item.subdomain,
            item.difficulty,
            item.stem,
            *item.options,
            item.answer_label,
            *item.rationales,
            join_references(item.references),
            " | ".join(item.enemies),
            item.as_of.isoformat() if item.as_of is not None else "",
            *([item.source_ref] if with_refs else []),
        ]
        writer.writerow([guard(value) for value in row])
    return (BOM + buffer.getvalue()).encode("utf-8")
