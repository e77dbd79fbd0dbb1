"""GIFT files written by Moodle or by hand: single-answer multiple choice as foreign items.

How the engine tells its own GIFT files from other tools' (:func:`is_engine_gift`): the
engine writes every question with its item key as the title (``::D2-B-014::``) and its
metadata in the general feedback. A file in which any question has such a title is read
strictly by :mod:`exam_engine.domain.formats.gift` (the exact round trip of an export: a
question without a key or metadata is a problem there). Any other file (Moodle's export,
``::Q1::`` titles, no titles at all) is read here: each single-answer multiple-choice
question becomes a :class:`ForeignItem` with its title as ``source_ref``, its answers'
``#`` feedback as rationales and its ``####`` general feedback kept; the sub-domain comes
from the ``$CATEGORY`` path (an AAISM code anywhere in it). Every other question type is
skipped with a warning naming the question and its type; a syntax error (unbalanced braces,
a file cut in the middle of a question) is a problem at its line and nothing is imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from exam_engine.domain.bank import Problem
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.formats._common import decode_text
from exam_engine.domain.formats._markup import html_markdown
from exam_engine.domain.formats.foreign import ForeignItem, ForeignParsed, subdomain_in
from exam_engine.domain.formats.gift import (
    _WEIGHT,
    _Block,
    _blocks,
    _find,
    _rfind,
    _split_answers,
    _stem_with_format,
    _unsupported_kind,
    _with_format,
    gift_lines,
    question_parts,
    unescape,
)

ENGINE_TITLE = re.compile(r"D\d+-[A-Z]-\d{3}")
CATEGORY = "$CATEGORY:"


def is_engine_gift(text: str | Iterable[str]) -> bool:
    """True when any question's ``::title::`` is an engine item key (``D2-B-014``)."""
    for block in _blocks(text):
        body = block.text()
        if body.startswith(CATEGORY):
            body = body.partition("\n")[2]
        if body.startswith("::"):
            end = _find(body, "::", 2)
            if end != -1 and ENGINE_TITLE.fullmatch(unescape(body[2:end]).strip()):
                return True
    return False


class _Reader:
    """Turns a foreign GIFT text into foreign items, warnings and problems."""

    def __init__(self, file: str, blueprint: Blueprint) -> None:
        self.file = file
        self.blueprint = blueprint
        self.items: list[ForeignItem] = []
        self.warnings: list[Problem] = []
        self.problems: list[Problem] = []
        self.subdomain: str | None = None

    def warn(self, line: int, reason: str) -> None:
        self.warnings.append(Problem(self.file, line, reason))

    def content(self, raw: str, fmt: str, line: int, where: str) -> str:
        """Unescape a text and turn it from its format into the editor's Markdown."""
        text = unescape(raw).strip()
        if fmt == "html":
            text, dropped = html_markdown(text)
            if dropped:
                tags = ", ".join(f"<{t}>" for t in sorted(dropped))
                self.warn(line, f"{where}: HTML {tags} dropped when converting to Markdown")
        return text

    def read(self, text: str | Iterable[str]) -> None:
        for block in _blocks(text):
            body = block.text()
            if body.startswith(CATEGORY):
                first, _, rest = body.partition("\n")
                self.category(unescape(first[len(CATEGORY) :]).strip(), block.first_line)
                if not rest.strip():
                    continue
                block = block.without_first_line()
                body = block.text()
            self.question(block, body)

    def category(self, path: str, line: int) -> None:
        found = subdomain_in(path, self.blueprint, what="$CATEGORY")
        self.subdomain = found.subdomain
        if found.warning:
            self.warn(line, found.warning + "; its questions are imported without a sub-domain")

    def question(self, block: _Block, text: str) -> None:
        line = block.first_line
        given, offset, start, finish, name = question_parts(text)
        title = given or ""

        def skip(kind: str) -> None:
            reason = f"{kind}; the engine imports single-answer multiple choice only"
            self.warn(line, f"{name} skipped: {reason}")

        if start == -1 and finish == -1:
            skip("a description (no answers)")
            return
        if start == -1 or finish < start:
            self.problems.append(
                Problem(
                    self.file,
                    line,
                    f"{name}: unbalanced braces: the answers go between one {{ and one }} "
                    "(is the file cut short? escape a literal brace as \\{ or \\})",
                )
            )
            return
        if _find(text, "{", finish + 1) != -1 or _find(text, "}", finish + 1) != -1:
            self.problems.append(
                Problem(
                    self.file,
                    block.line_at(finish),
                    f"{name}: unbalanced braces: a second {{ or a stray }} after the answers "
                    "(escape a literal brace as \\{ or \\})",
                )
            )
            return
        answers = text[start + 1 : finish]
        after = text[finish + 1 :]
        stem_text, fmt = _stem_with_format(text, offset, start, after)
        general = ""
        general_line = block.line_at(finish)
        feedback_at = _rfind(answers, "####")
        if feedback_at != -1:
            general = answers[feedback_at + 4 :]
            general_line = block.line_at(start + 1 + feedback_at)
            answers = answers[:feedback_at]
        kind = _unsupported_kind(answers.strip())
        if kind:
            skip(kind)
            return
        pieces = _split_answers(answers)
        if pieces[0][2].strip():
            skip("text before the first answer marker (~ or =), not multiple choice")
            return
        options: list[tuple[int, bool, str, str | None]] = []
        for piece_offset, mark, piece in pieces[1:]:
            body = piece.strip()
            weight = _WEIGHT.match(body)
            is_key = mark == "="
            if weight:
                value = float(weight.group(1))
                body = body[weight.end() :]
                if value == 100:
                    is_key = True
                elif value != 0 or mark == "=":
                    skip(
                        f"a multiple-answer or partial-credit question "
                        f"(an answer weighs %{weight.group(1)}%)"
                    )
                    return
            hash_at = _find(body, "#")
            option = body if hash_at == -1 else body[:hash_at]
            feedback = None if hash_at == -1 else body[hash_at + 1 :]
            options.append((block.line_at(start + 1 + piece_offset), is_key, option, feedback))
        keys = [index for index, (_, is_key, _, _) in enumerate(options) if is_key]
        if len(keys) != 1:
            skip(
                "a multiple-answer question"
                if keys
                else "multiple choice with no answer marked correct"
            )
            return
        if len(options) < 2:
            skip("multiple choice with a single answer")
            return
        stem_line = block.line_at(offset)
        texts: list[str] = []
        rationales: list[str] = []
        for answer_line, _, option_raw, feedback_raw in options:
            option_text, option_fmt = _with_format(option_raw.strip(), fmt)
            texts.append(self.content(option_text, option_fmt, answer_line, f"{name} answer"))
            rationale = ""
            if feedback_raw is not None:
                feedback_text, feedback_fmt = _with_format(feedback_raw.strip(), fmt)
                rationale = self.content(
                    feedback_text, feedback_fmt, answer_line, f"{name} feedback"
                )
            rationales.append(rationale)
        general_text, general_fmt = _with_format(general.strip(), fmt)
        self.items.append(
            ForeignItem(
                file=self.file,
                line=line,
                source_ref=title,
                stem=self.content(stem_text, fmt, stem_line, f"{name} stem"),
                options=tuple(texts),
                answer=keys[0],
                rationales=tuple(rationales),
                general_feedback=self.content(
                    general_text, general_fmt, general_line, f"{name} general feedback"
                ),
                subdomain=self.subdomain,
            )
        )


def read_text(text: str | Iterable[str], filename: str, blueprint: Blueprint) -> ForeignParsed:
    """Read decoded GIFT text (or its lines) as another tool's file."""
    reader = _Reader(filename, blueprint)
    reader.read(text)
    if reader.problems:
        return ForeignParsed((), tuple(reader.warnings), tuple(reader.problems))
    return ForeignParsed(tuple(reader.items), tuple(reader.warnings), ())


def parse(data: bytes, *, filename: str, blueprint: Blueprint) -> ForeignParsed:
    """Parse GIFT bytes from another tool; never raises on bad input."""
    text, bad = decode_text(data, filename)
    if text is None:
        assert bad is not None
        return ForeignParsed((), (), (bad,))
    del text  # checked; the lines are decoded as they are read
    return read_text(gift_lines(data), filename, blueprint)
