"""Spreadsheets from other tools: one multiple-choice question a row, as foreign items.

How the engine tells its own CSV from a spreadsheet (:func:`is_engine_csv`): the engine's
header always has a ``key`` column (the item key, ``D2-B-014``); such a file is read
strictly by :mod:`exam_engine.domain.formats.csv_format`, all or nothing. Any other header
is read here, column names case-insensitive and in any order:

- the question: ``question``, ``stem``, ``question text``, ``prompt`` or ``text``;
- two to six options: ``option A`` .. ``option F`` (or ``choice A``, ``A``, ``option 1`` ..);
- the correct option: ``answer``, ``correct``, ``correct answer`` or ``correct option``,
  holding a letter (``B``), a number (``2``) or the option's exact text;
- optional: ``feedback A`` .. (or ``rationale A``, ``explanation A``) per option, a general
  ``feedback``/``explanation``, ``category``/``sub-domain``/``subdomain``/``topic`` (an AAISM
  code such as ``D2-A`` anywhere in it), ``difficulty``, ``references`` (``|``-separated)
  and an ``id``/``identifier``/``source ref`` kept as the draft's ``source_ref``.

A file that cannot be read as such a table (a CSV syntax error, no question, option or
answer column) is a problem and imports nothing; a row that cannot be read as a question
(fewer than two options, an answer that names no option) is skipped with a warning.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

from exam_engine.domain.bank import Problem
from exam_engine.domain.blueprint import DIFFICULTIES, Blueprint
from exam_engine.domain.formats._common import decode_text
from exam_engine.domain.formats.csv_format import (
    _column_name,
    _delimiter,
    csv_lines,
    first_line,
    split_references,
    unguard,
)
from exam_engine.domain.formats.foreign import ForeignItem, ForeignParsed, subdomain_in

STEM_COLUMNS = ("question", "stem", "question_text", "prompt", "text")
ANSWER_COLUMNS = ("answer", "correct", "correct_answer", "correct_option")
GENERAL_COLUMNS = ("feedback", "general_feedback", "explanation")
CATEGORY_COLUMNS = ("category", "sub_domain", "subdomain", "topic")
ID_COLUMNS = ("id", "identifier", "source_ref", "question_id", "item_id")
MAX_OPTIONS = 6
LETTERS = "abcdef"
_OPTION = re.compile(r"^(?:option|choice)?_?([a-f1-6])$")
_FEEDBACK = re.compile(r"^(?:feedback|rationale|explanation)_?(?:for_)?(?:option_)?([a-f1-6])$")


def _slot(token: str) -> int:
    """An option slot from a letter (a-f) or a number (1-6)."""
    return int(token) - 1 if token.isdigit() else LETTERS.index(token)


def is_engine_csv(text: str) -> bool:
    """True when the header row has the engine's ``key`` column."""
    first = first_line(text)
    try:
        header = next(csv.reader([first], delimiter=_delimiter(first)))
    except (csv.Error, StopIteration):
        return False
    return "key" in {_column_name(unguard(cell)) for cell in header}


def _first(columns: dict[str, int], names: tuple[str, ...]) -> int | None:
    return next((columns[name] for name in names if name in columns), None)


def read_lines(
    lines: Iterable[str], delimiter: str, filename: str, blueprint: Blueprint
) -> ForeignParsed:
    """Read a spreadsheet's CSV lines (as :func:`csv_format.csv_lines` gives them)."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    consumed = 0
    try:
        for row in reader:
            rows.append((consumed + 1, row))
            consumed = reader.line_num
    except csv.Error as exc:
        return ForeignParsed((), (), (Problem(filename, consumed + 1, f"CSV syntax error: {exc}"),))
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return ForeignParsed(
            (), (), (Problem(filename, 1, "the file is empty: expected a header row"),)
        )
    header_line, header = rows[0]
    columns: dict[str, int] = {}
    options: dict[int, int] = {}
    feedback: dict[int, int] = {}
    warnings: list[Problem] = []
    for index, heading in enumerate(header):
        name = _column_name(unguard(heading))
        if not name or name in columns:
            continue
        columns[name] = index
        if match := _OPTION.match(name):
            options.setdefault(_slot(match.group(1)), index)
        elif match := _FEEDBACK.match(name):
            feedback.setdefault(_slot(match.group(1)), index)
        elif name not in (
            *STEM_COLUMNS, *ANSWER_COLUMNS, *GENERAL_COLUMNS, *CATEGORY_COLUMNS, *ID_COLUMNS,
            "difficulty", "references", "reference",
        ):  # fmt: skip
            warnings.append(
                Problem(filename, header_line, f"column {heading.strip()!r} is not read")
            )
    stem_at = _first(columns, STEM_COLUMNS)
    answer_at = _first(columns, ANSWER_COLUMNS)
    problems: list[Problem] = []
    if stem_at is None:
        problems.append(
            Problem(filename, header_line, "no question column: name one Question or Stem")
        )
    if len(options) < 2:
        problems.append(
            Problem(
                filename,
                header_line,
                "fewer than two option columns: name them Option A, Option B ... (up to F)",
            )
        )
    if answer_at is None:
        problems.append(
            Problem(
                filename,
                header_line,
                "no answer column: name one Answer (the correct option's letter)",
            )
        )
    if problems:
        return ForeignParsed((), tuple(warnings), tuple(problems))
    assert stem_at is not None and answer_at is not None
    slots = sorted(options)
    general_at = _first(columns, GENERAL_COLUMNS)
    category_at = _first(columns, CATEGORY_COLUMNS)
    id_at = _first(columns, ID_COLUMNS)
    difficulty_at = columns.get("difficulty")
    references_at = _first(columns, ("references", "reference"))
    items: list[ForeignItem] = []
    for line, row in rows[1:]:

        def cell(index: int | None, row: list[str] = row) -> str:
            if index is None or index >= len(row):
                return ""
            return unguard(row[index]).strip()

        name = cell(id_at) or cell(stem_at)[:40] or f"row {line}"
        texts = [cell(options[slot]) for slot in slots]
        while texts and not texts[-1]:
            texts.pop()
        if len(texts) < 2:
            warnings.append(
                Problem(filename, line, f"row {name!r} skipped: fewer than two options")
            )
            continue
        answer = _answer(cell(answer_at), texts)
        if answer is None:
            warnings.append(
                Problem(
                    filename,
                    line,
                    f"row {name!r} skipped: answer {cell(answer_at)!r} names none of its "
                    f"{len(texts)} options (give a letter, A-{chr(ord('A') + len(texts) - 1)})",
                )
            )
            continue
        subdomain = None
        if category_at is not None and cell(category_at):
            found = subdomain_in(cell(category_at), blueprint, what="category")
            subdomain = found.subdomain
            if found.warning:
                warnings.append(Problem(filename, line, found.warning))
        difficulty = cell(difficulty_at).lower()
        if difficulty and difficulty not in DIFFICULTIES:
            warnings.append(
                Problem(
                    filename,
                    line,
                    f"row {name!r}: difficulty {difficulty!r} is not one of "
                    f"{', '.join(DIFFICULTIES)}; left unset",
                )
            )
        items.append(
            ForeignItem(
                file=filename,
                line=line,
                source_ref=cell(id_at),
                stem=cell(stem_at),
                options=tuple(texts),
                answer=answer,
                rationales=tuple(cell(feedback.get(slot)) for slot in slots[: len(texts)]),
                general_feedback=cell(general_at),
                subdomain=subdomain,
                difficulty=difficulty if difficulty in DIFFICULTIES else None,
                references=tuple(split_references(cell(references_at))),
            )
        )
    return ForeignParsed(tuple(items), tuple(warnings), ())


def _answer(value: str, options: list[str]) -> int | None:
    """The index an answer cell names: a letter, a 1-based number, or an option's text."""
    token = value.strip()
    if len(token) == 1 and token.lower() in LETTERS[: len(options)]:
        index = LETTERS.index(token.lower())
    elif token.isdigit() and 1 <= int(token) <= len(options):
        index = int(token) - 1
    elif token and token in options:
        index = options.index(token)
    else:
        return None
    return index if options[index] else None


def parse(data: bytes, *, filename: str, blueprint: Blueprint) -> ForeignParsed:
    """Parse spreadsheet CSV bytes; never raises on bad input."""
    text, bad = decode_text(data, filename)
    if text is None:
        assert bad is not None
        return ForeignParsed((), (), (bad,))
    del text  # checked; the rows are decoded line by line
    lines, delimiter = csv_lines(data)
    return read_lines(lines, delimiter, filename, blueprint)
