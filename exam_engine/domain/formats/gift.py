"""Moodle's GIFT format for single-best-answer multiple choice, both ways.

Parsing follows Moodle's own reader (``question/format/gift/format.php``): questions are
separated by blank lines, every line is trimmed, whole-line ``//`` comments are dropped,
``\\``-escapes (``\\= \\~ \\# \\{ \\} \\: \\\\`` and ``\\n``) protect the control characters,
``::title::`` names a question, ``$CATEGORY:`` sets the category of those that follow,
``[markdown]``/``[html]``/``[plain]``/``[moodle]`` set a text's format, ``#`` starts an
answer's feedback and ``####`` the general feedback.

How the bank's fields travel (see question_bank/README.md, "Interchange formats"):

- the title is the item key (``::D2-B-014::``);
- ``$CATEGORY: <blueprint>/<domain>/<sub-domain>`` gives the sub-domain (the last path
  segment that is a sub-domain code; failing that, the key's prefix);
- the ``=`` answer is the key; each answer's ``#`` feedback is its rationale;
- the general feedback holds ``Difficulty: medium``, ``References:`` (a ``- `` list),
  ``Enemies: D2-B-001, D2-B-007``, ``As of: 2026-12-04`` and, for an item imported from
  another tool, ``Source: <its name there>`` (the ``source_ref``) lines.

Question types the engine cannot hold (true/false, short answer, matching, numerical,
essay, description, multiple answers or partial weights, other than four options) are
skipped with a warning naming the question and its line.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from exam_engine.domain.bank import ItemRecord, Problem, RawItem
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.formats._common import (
    Parsed,
    bytes_format,
    check_items,
    domain_mismatch,
    labelled,
    sorted_items,
    subdomain_from_key,
)
from exam_engine.domain.formats._markup import html_markdown
from exam_engine.domain.plurals import counted

FORMAT_NAMES = ("moodle", "html", "plain", "markdown")
ESCAPABLE = frozenset(":#={}~")
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")
_META = re.compile(r"^(difficulty|references?|enemies|as of|source)\s*:\s*(.*)$", re.IGNORECASE)
_KEY_SPLIT = re.compile(r"[\s,|]+")
# Moodle trims lines with PHP's trim(), which strips only these characters.
PHP_TRIM = " \t\n\r\0\x0b"
HEADER = (
    "// AAISM exam engine question bank, GIFT format (Moodle).\n"
    "// The title is the item key, $CATEGORY is <blueprint>/<domain>/<sub-domain>, the = answer\n"
    "// is the key, each answer's # feedback is its rationale, and the general feedback (####)\n"
    "// holds Difficulty, References, Enemies and As of. See question_bank/README.md.\n"
)


# --- escapes ------------------------------------------------------------------------------


# Escapes and control characters are found by regular expressions, not a loop over each
# character in Python: a 50 MB file took 25 s that way. An escape (a backslash and the
# character after it, whatever it is) is matched first so that what it protects is skipped.
_UNESCAPE = re.compile(r"\\([\\:#={}~n])")


@functools.cache
def _finder(target: str) -> re.Pattern[str]:
    return re.compile(r"\\.|" + re.escape(target), re.DOTALL)


def _find(text: str, target: str, start: int = 0) -> int:
    """Index of the first unescaped ``target`` at or after ``start``, or -1."""
    for match in _finder(target).finditer(text, start):
        if text[match.start()] != "\\":
            return match.start()
    return -1


def _rfind(text: str, target: str) -> int:
    """Index of the last unescaped ``target``, or -1."""
    found = -1
    index = _find(text, target)
    while index != -1:  # searched again one character on: occurrences may overlap (#####)
        found = index
        index = _find(text, target, index + 1)
    return found


def _unescaped(match: re.Match[str]) -> str:
    char = match.group(1)
    return "\n" if char == "n" else char


def unescape(text: str) -> str:
    """Resolve GIFT escapes as Moodle does; an unknown ``\\x`` stays as written."""
    if "\\" not in text:
        return text
    return _UNESCAPE.sub(_unescaped, text)


def escape(text: str) -> str:
    """Escape a text for GIFT: backslash, the control characters and newlines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for char in text:
        if char == "\\" or char in ESCAPABLE:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        else:
            out.append(char)
    return "".join(out)


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """One question (or category) between blank lines: its trimmed lines joined by newlines,
    and the file line each of them came from (never none).

    The lines themselves are not kept: a question's text is then held once, not twice.
    """

    body: str
    numbers: tuple[int, ...]

    @property
    def first_line(self) -> int:
        """The file line the block starts on."""
        return self.numbers[0]

    def text(self) -> str:
        return self.body

    def without_first_line(self) -> _Block:
        """The block from its second line on (a question right under its $CATEGORY line)."""
        return _Block(self.body.partition("\n")[2], self.numbers[1:])

    def line_at(self, offset: int) -> int:
        """The file line of a character offset into :meth:`text`."""
        index = self.body.count("\n", 0, max(offset, 0))
        return self.numbers[min(index, len(self.numbers) - 1)]


_BREAK = re.compile(r"\r\n|\r|\n")


def _lines_of(text: str) -> Iterator[str]:
    """The lines of a text split at CRLF, CR or LF, one at a time (no copy of the whole)."""
    position = 0
    for match in _BREAK.finditer(text):
        yield text[position : match.start()]
        position = match.end()
    yield text[position:]


_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")


def gift_lines(data: bytes) -> Iterator[str]:
    """The lines of checked UTF-8 GIFT bytes (split as :func:`_lines_of`), decoded one by one.

    Each line is decoded from a view of the bytes, without its line break: no copy of the
    whole text, and none of a long line but its own (a reader's ``readline`` makes three).
    """
    view = memoryview(data)
    position = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    for match in _BREAK_BYTES.finditer(data, position):
        yield str(view[position : match.start()], "utf-8")
        position = match.end()
    yield str(view[position:], "utf-8")


def _blocks(text: str | Iterable[str]) -> Iterator[_Block]:
    """Blank-line separated blocks of trimmed lines, comment lines removed, as they are read.

    ``text`` is the whole text or its lines (:func:`gift_lines`).
    """
    numbers: list[int] = []
    texts: list[str] = []
    lines = _lines_of(text) if isinstance(text, str) else text
    for number, raw in enumerate(lines, start=1):
        line = raw.strip(PHP_TRIM)
        if not line:
            if texts:
                block = _Block("\n".join(texts), tuple(numbers))
                numbers, texts = [], []  # before the yield: the lines go, only the text stays
                yield block
            continue
        if line.startswith("//"):
            continue  # a comment line belongs to the block but carries nothing
        numbers.append(number)
        texts.append(line)
    if texts:
        yield _Block("\n".join(texts), tuple(numbers))


def _with_format(text: str, default: str) -> tuple[str, str]:
    """Split a leading ``[format]`` marker off (raw, still escaped text)."""
    if text.startswith("["):
        end = text.find("]")
        if end != -1 and text[1:end] in FORMAT_NAMES:
            return text[end + 1 :], text[1:end]
    return text, default


def _stem_with_format(text: str, offset: int, start: int, after: str) -> tuple[str, str]:
    """The stem (``text[offset:start]``, then Moodle's missing-word gap and ``after`` when
    there is text after the answers) and its format, the marker split off.

    As ``_with_format`` of that whole text, but a long stem is sliced once: a marker is at
    most ``[markdown]``, so only the stem's first characters are looked at for it.
    """
    head = text[offset : min(start, offset + 12)]
    rest, fmt = _with_format(head, "moodle")
    body = text[offset + len(head) - len(rest) : start]
    return body + ("_____" + after if after.strip() else ""), fmt


@dataclass
class _Reader:
    """Turns GIFT text into raw items, warnings and problems."""

    file: str
    blueprint: Blueprint
    raws: list[RawItem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    category: str = ""
    category_line: int = 0

    def content(self, raw: str, fmt: str, line: int, where: str) -> str:
        """Unescape a text and convert it from its format to Markdown."""
        text = unescape(raw).strip()
        if fmt == "html":
            text, dropped = html_markdown(text)
            if dropped:
                tags = ", ".join(f"<{t}>" for t in sorted(dropped))
                self.warnings.append(
                    Problem(
                        self.file, line, f"{where}: HTML {tags} dropped when converting to Markdown"
                    )
                )
        return text

    def read(self, text: str | Iterable[str]) -> None:
        for block in _blocks(text):
            self.block(block)

    def block(self, block: _Block) -> None:
        body = block.text()
        if body.startswith("$CATEGORY:"):
            first_line, _, rest = body.partition("\n")
            self.category = unescape(first_line[len("$CATEGORY:") :]).strip()
            self.category_line = block.first_line
            if not rest.strip():
                return
            # A question written straight under its category line, without a blank line.
            block = block.without_first_line()
            body = block.text()
        self.question(block, body)

    def question(self, block: _Block, text: str) -> None:
        line = block.first_line
        title, offset, start, finish, name = question_parts(text)

        def skip(reason: str) -> None:
            self.warnings.append(Problem(self.file, line, f"{name} skipped: {reason}"))

        if start == -1 and finish == -1:
            skip("a description (no answers); the engine holds multiple choice only")
            return
        if start == -1 or finish < start:  # a missing } is -1, before any {
            self.problems.append(
                Problem(
                    self.file,
                    line,
                    f"{name}: unbalanced braces: the answers go between "
                    "one { and one } (escape a literal brace as \\{ or \\})",
                )
            )
            return
        if _find(text, "{", finish + 1) != -1:
            skip("more than one answer section; the engine holds one question a block")
            return
        if _find(text, "}", finish + 1) != -1:
            self.problems.append(
                Problem(
                    self.file,
                    line,
                    f"{name}: a stray }} after the answers (escape a literal brace as \\}})",
                )
            )
            return
        answers = text[start + 1 : finish]
        # Text after the answers makes Moodle's missing-word form: a blank marks the gap.
        after = text[finish + 1 :]
        stem_text, fmt = _stem_with_format(text, offset, start, after)

        feedback_at = _rfind(answers, "####")
        general = ""
        general_line = block.line_at(finish)
        if feedback_at != -1:
            general = answers[feedback_at + 4 :]
            general_line = block.line_at(start + 1 + feedback_at)
            answers = answers[:feedback_at]
        kind = _unsupported_kind(answers.strip())
        if kind:
            skip(f"{kind}; the engine holds single-best-answer multiple choice only")
            return
        parsed = self.answers(block, answers, start + 1, skip)
        if parsed is None:
            return
        if title is None:
            self.problems.append(
                Problem(
                    self.file,
                    line,
                    f"{name}: no ::title::; the title is the item key (e.g. ::D2-B-014::)",
                )
            )
            return

        stem_line = block.line_at(offset)
        data: dict[str, object] = {
            "key": title,
            "stem": self.content(stem_text, fmt, stem_line, f"{name} stem"),
        }
        lines: dict[str, int] = {"key": line, "stem": stem_line}
        options: list[str] = []
        rationales: dict[str, str] = {}
        correct = ""
        for index, (answer_line, is_key, option_raw, feedback_raw) in enumerate(parsed):
            label = "ABCD"[index]
            option_text, option_fmt = _with_format(option_raw.strip(), fmt)
            options.append(self.content(option_text, option_fmt, answer_line, f"{name} answer"))
            lines[f"options.{label}"] = answer_line
            lines[f"rationale.{label}"] = answer_line
            if feedback_raw is not None:
                feedback_text, feedback_fmt = _with_format(feedback_raw.strip(), fmt)
                rationale = self.content(
                    feedback_text, feedback_fmt, answer_line, f"{name} feedback"
                )
                if rationale:
                    rationales[label] = rationale
            if is_key:
                correct = label
        data["options"] = labelled(options)
        data["rationale"] = rationales
        data["answer"] = correct
        lines["answer"] = lines[f"options.{correct}"]

        general_text, general_fmt = _with_format(general.strip(), fmt)
        self.metadata(
            data,
            lines,
            self.content(general_text, general_fmt, general_line, f"{name} general feedback"),
            general_line,
            name,
        )
        subdomain, domains = self.category_codes()
        if subdomain:
            data["subdomain"] = subdomain
            lines["subdomain"] = self.category_line
        elif derived := subdomain_from_key(title):
            data["subdomain"] = derived
            lines["subdomain"] = line
        for domain in domains:
            reason = domain_mismatch(domain, str(data.get("subdomain", "")), self.blueprint)
            if reason:
                self.problems.append(Problem(self.file, self.category_line, f"{name}: {reason}"))
        self.raws.append(RawItem(self.file, line, data, lines))

    def answers(
        self,
        block: _Block,
        answers: str,
        base: int,
        skip: Callable[[str], None],
    ) -> list[tuple[int, bool, str, str | None]] | None:
        """Split the answer list; None (after a warning) when it is not four-option SBA."""
        pieces = _split_answers(answers)
        if pieces[0][2].strip():
            skip("text before the first answer marker (~ or =)")
            return None
        result: list[tuple[int, bool, str, str | None]] = []
        keys = 0
        for offset, mark, piece in pieces[1:]:
            body = piece.strip()
            weight_match = _WEIGHT.match(body)
            if weight_match:
                weight = float(weight_match.group(1))
                body = body[weight_match.end() :]
                if weight == 100:
                    is_key = True
                elif weight == 0 and mark == "~":
                    is_key = False
                else:
                    skip(
                        f"an answer has the partial weight %{weight_match.group(1)}% "
                        "(multiple answers or partial credit)"
                    )
                    return None
            else:
                is_key = mark == "="
            keys += is_key
            hash_at = _find(body, "#")
            option = body if hash_at == -1 else body[:hash_at]
            feedback = None if hash_at == -1 else body[hash_at + 1 :]
            result.append((block.line_at(base + offset), is_key, option, feedback))
        if keys == 0:
            skip("no answer is marked correct with =")
            return None
        if keys > 1:
            skip(f"{keys} answers are marked correct; the engine needs exactly one")
            return None
        if len(result) != 4:
            skip(f"{len(result)} answers; the engine needs exactly four")
            return None
        return result

    def metadata(
        self,
        data: dict[str, object],
        lines: dict[str, int],
        general: str,
        line: int,
        name: str,
    ) -> None:
        """Read Difficulty, References, Enemies and As of from the general feedback."""
        section = ""
        references: list[str] = []
        ignored = 0
        for text in general.split("\n"):
            match = _META.match(text.strip()) if not text.startswith("  ") else None
            if match:
                label = match.group(1).lower()
                value = match.group(2).strip()
                if label == "difficulty":
                    data["difficulty"] = value.lower()
                    lines["difficulty"] = line
                    section = ""
                elif label.startswith("reference"):
                    data["references"] = references
                    lines["references"] = line
                    section = "references"
                    if value:
                        references.append(value)
                elif label == "as of":
                    data["as_of"] = value
                    lines["as_of"] = line
                    section = ""
                elif label == "source":
                    data["source_ref"] = value
                    lines["source_ref"] = line
                    section = ""
                else:
                    data["enemies"] = [k for k in _KEY_SPLIT.split(value) if k]
                    lines["enemies"] = line
                    section = ""
            elif section == "references" and text.startswith("- "):
                references.append(text[2:])
            elif section == "references" and text.startswith("  ") and references:
                references[-1] += "\n" + text[2:]
            elif text.strip():
                ignored += 1
                section = ""
        if ignored:
            self.warnings.append(
                Problem(
                    self.file,
                    line,
                    f"{name}: {counted(ignored, 'line')} of general feedback "
                    "ignored (only Difficulty, References, Enemies and As of are read)",
                )
            )

    def category_codes(self) -> tuple[str, list[str]]:
        """The sub-domain named by the current category, and any domain codes in it."""
        segments = [s.strip() for s in self.category.split("/")]
        subs = set(self.blueprint.subdomain_codes)
        domains = {d.code for d in self.blueprint.domains}
        subdomain = next((s for s in reversed(segments) if s in subs), "")
        return subdomain, [s for s in segments if s in domains]


_ANSWER_MARK = re.compile(r"\\.|[~=]", re.DOTALL)


def _split_answers(answers: str) -> list[tuple[int, str, str]]:
    """Split at every unescaped ~ or = (as Moodle does): (offset, marker, text) per piece.

    The first piece is whatever precedes the first marker, with the marker ''.
    """
    pieces: list[tuple[int, str, str]] = []
    marker, begin = "", 0
    for match in _ANSWER_MARK.finditer(answers):
        char = match.group()
        if char[0] == "\\":
            continue  # an escaped character, whatever it is
        pieces.append((begin, marker, answers[begin : match.start()]))
        marker, begin = char, match.end()
    pieces.append((begin, marker, answers[begin:]))
    return pieces


def _preview(text: str, width: int = 40) -> str:
    """The start of a question's text, to name an untitled question."""
    flat = " ".join(unescape(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def question_parts(text: str) -> tuple[str | None, int, int, int, str]:
    """Split a question's text: its ``::title::`` (None without one), where the text after it
    starts, where its answers' ``{`` and ``}`` are (-1 when missing), and the name problems
    call it by (its title, or the start of its text)."""
    title: str | None = None
    offset = 0
    if text.startswith("::"):
        end = _find(text, "::", 2)
        offset = 2  # as in Moodle, an unclosed title only loses its opening colons
        if end != -1:
            title = unescape(text[2:end]).strip()
            offset = end + 2
        while offset < len(text) and text[offset].isspace():
            offset += 1
    start = _find(text, "{", offset)
    finish = _find(text, "}", offset)
    if title:
        name = f"question ::{title}::"
    else:
        name = f"question {_preview(text[offset:start] if start != -1 else text[offset:])!r}"
    return title, offset, start, finish, name


def _unsupported_kind(answers: str) -> str:
    """Name a question type the engine does not hold, as Moodle would classify it; '' for MC."""
    if not answers:
        return "an essay (empty answer braces)"
    if answers.startswith("#"):
        return "a numerical question"
    if _find(answers, "~") != -1:
        return ""
    if _find(answers, "=") != -1 and _find(answers, "->") != -1:
        return "a matching question"
    hash_at = _find(answers, "#")
    check = answers if hash_at <= 0 else answers[:hash_at].strip()
    if check in ("T", "TRUE", "F", "FALSE"):
        return "a true/false question"
    return "a short-answer question"


def _read(data: bytes, filename: str, blueprint: Blueprint, known_keys: Iterable[str]) -> Parsed:
    reader = _Reader(filename, blueprint)
    reader.read(gift_lines(data))  # decoded line by line: no copy of the whole text
    return check_items(
        reader.raws,
        blueprint,
        known_keys=known_keys,
        problems=reader.problems,
        warnings=reader.warnings,
    )


parse = bytes_format(_read, "GIFT")


# --- writing ------------------------------------------------------------------------------


def _text(value: str) -> str:
    """Escape a text; mark it explicitly when it would otherwise read as a format marker."""
    escaped = escape(value)
    return "[markdown]" + escaped if escaped.startswith("[") else escaped


def _general_feedback(item: ItemRecord) -> str:
    parts = [f"Difficulty: {item.difficulty}", "References:"]
    refs = ["- " + ref.replace("\n", "\n  ") for ref in item.references]
    parts.append("\n".join(refs))
    if item.enemies:
        parts.append("Enemies: " + ", ".join(item.enemies))
    if item.as_of is not None:
        parts.append(f"As of: {item.as_of.isoformat()}")
    if item.source_ref:
        parts.append(f"Source: {item.source_ref}")
    return "\n\n".join(parts)


def write(items: Sequence[ItemRecord], blueprint: Blueprint) -> bytes:
    """Write items as GIFT (UTF-8, no byte-order mark), grouped by sub-domain category."""
    out = [HEADER]
    category = None
    for item in sorted_items(items):
        wanted = f"{blueprint.name}/{item.domain}/{item.subdomain}"
        if wanted != category:
            out.append(f"\n$CATEGORY: {escape(wanted)}\n")
            category = wanted
        lines = [f"::{escape(item.key)}::[markdown]{escape(item.stem)}{{"]
        for index, option in enumerate(item.options):
            mark = "=" if index == item.answer else "~"
            lines.append(f"\t{mark}{_text(option)}#{_text(item.rationales[index])}")
        lines.append(f"\t####{_text(_general_feedback(item))}")
        lines.append("}")
        out.append("\n" + "\n".join(lines) + "\n")
    return "".join(out).encode("utf-8")
