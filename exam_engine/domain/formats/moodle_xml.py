"""Moodle XML, the format Moodle's question bank exports by default: read and written.

A ``<quiz>`` holds ``<question>`` elements in order. A ``type="category"`` one sets the
category (``$course$/top/...``) of the questions after it; an AAISM code anywhere in that
path (``D2-A``) tags them. Only ``multichoice`` with ``<single>true</single>`` is read: its
``<name>``, ``<questiontext>`` (HTML, usually CDATA), each ``<answer fraction="...">`` with
its ``<feedback>`` (the option's rationale), ``<generalfeedback>`` and ``<idnumber>`` (the
``source_ref``; the name when it has none). Every other type is skipped with a warning
naming the question and its type. HTML is converted to the editor's Markdown; math, tables
and images that cannot be kept are reported, and an item whose meaning needs them skipped.

The writer gives one category per sub-domain and one ``multichoice`` per item: the key as
name and ``idnumber``, each text as HTML inside ``<div class="aaism-markdown">`` (the
Markdown source, escaped, so that it reads back exactly), rationales as answer feedback,
references as a list in the general feedback and the difficulty as a ``difficulty:`` tag.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from exam_engine.domain.bank import OPTION_LABELS, ItemRecord, Problem, RawItem
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.errors import BlueprintError
from exam_engine.domain.formats._common import (
    XML_ILLEGAL,
    ExportError,
    Parsed,
    check_items,
    decode_text,
    item_texts,
    labelled,
    sorted_items,
)
from exam_engine.domain.formats._lost import Losses, html_text, tex_as_code
from exam_engine.domain.formats._markup import html_markdown, local_name
from exam_engine.domain.formats.foreign import ForeignItem, ForeignParsed, subdomain_in
from exam_engine.domain.formats.limits import MAX_TEXT_CHARS
from exam_engine.domain.formats.qti.reader import parse_xml
from exam_engine.domain.plurals import counted, plural

ENGINE_TEXT = re.compile(r'^\s*<div class="aaism-markdown">(.*)</div>\s*$', re.DOTALL)
ENGINE_REFERENCES = re.compile(r'<ul class="aaism-references">(.*?)</ul>', re.DOTALL)
_LI = re.compile(r"<li>(.*?)</li>", re.DOTALL)
DIFFICULTY_TAG = "difficulty:"
ENEMY_TAG = "enemy:"
AS_OF_TAG = "as-of:"
# The item's name in the tool it first came from (its source_ref), on the engine's exports.
SOURCE_TAG = "source:"
DIFFICULTIES = ("easy", "medium", "hard")
FULL_MARKS = 100.0

# --- reading ------------------------------------------------------------------------------


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((c for c in element if local_name(c.tag) == name), None)


def _raw_text(element: ET.Element | None) -> str:
    """The content of an element's ``<text>`` child (CDATA and all), or ''."""
    text = _child(element, "text")
    return "".join(text.itertext()) if text is not None else ""


def _plain_value(element: ET.Element | None) -> str:
    """An element's own text (``<idnumber>``, ``<single>``), stripped; '' when absent."""
    return "".join(element.itertext()).strip() if element is not None else ""


def _markdown(element: ET.Element | None, default_format: str = "html") -> tuple[str, set[str]]:
    """A Moodle text field as Markdown, by its ``format``, and what it lost."""
    raw = _raw_text(element)
    if not raw.strip():
        return "", set()  # most feedback is empty: no parser for it
    fmt = (element.get("format") if element is not None else None) or default_format
    if fmt == "markdown":
        return raw.strip(), set()
    if fmt == "plain_text":
        text, had_tex = tex_as_code(raw.strip())
        return text, {"tex"} if had_tex else set()
    own = ENGINE_TEXT.match(raw)
    if own:
        return html_markdown(own.group(1), verbatim=True)[0], set()
    if fmt == "moodle_auto_format":
        raw = raw.replace("\n", "<br>")
    return html_text(raw)


def _references(element: ET.Element | None) -> tuple[str, tuple[str, ...]]:
    """Split the general feedback into its own HTML and the engine's references list."""
    raw = _raw_text(element)
    found = ENGINE_REFERENCES.search(raw)
    if not found:
        return raw, ()
    refs = tuple(html_markdown(li, verbatim=True)[0] for li in _LI.findall(found.group(1)))
    rest = raw[: found.start()] + raw[found.end() :]
    rest = re.sub(r"<p>References:</p>", "", rest, count=1)
    return rest, refs


@dataclass
class _Reader:
    """Reads one ``<quiz>`` in order, carrying the current category."""

    file: str
    blueprint: Blueprint
    lines: dict[ET.Element, int]
    items: list[ForeignItem] = field(default_factory=list)
    # Per item, what only this engine's own files carry (enemies, as-of date) for parse().
    extras: list[dict[str, object]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    subdomain: str | None = None

    def warn(self, line: int, reason: str) -> None:
        self.warnings.append(Problem(self.file, line, reason))

    def category(self, question: ET.Element, line: int) -> None:
        path = _raw_text(_child(question, "category")).strip()
        found = subdomain_in(path, self.blueprint, what="Moodle category")
        if found.warning:
            self.warn(line, found.warning)
        self.subdomain = found.subdomain

    def question(self, question: ET.Element) -> None:
        line = self.lines.get(question, 1)
        kind = (question.get("type") or "").strip()
        if kind == "category":
            self.category(question, line)
            return
        name = _raw_text(_child(question, "name")).strip()
        label = f"question {name!r}" if name else f"the question at line {line}"
        for element in question.iter():
            if local_name(element.tag) == "text" and len(element.text or "") > MAX_TEXT_CHARS:
                self.problems.append(
                    Problem(
                        self.file,
                        self.lines.get(element, line),
                        f"{label}: a text of {len(element.text or ''):,} characters, far over "
                        f"any item field's limit (texts over {MAX_TEXT_CHARS:,} characters "
                        "are not read)",
                    )
                )
                return
        if kind != "multichoice":
            self.warn(
                line,
                f"{label} skipped: its type is {kind or '(none)'!r}; the engine imports "
                "single-answer multiple choice (multichoice) only",
            )
            return
        single = _child(question, "single")
        if single is not None and _plain_value(single).lower() not in ("true", "1"):
            self.warn(
                line,
                f"{label} skipped: multiple answers (<single>false</single>); the engine "
                "imports single-answer multiple choice only",
            )
            return
        self.multichoice(question, line, name, label)

    def multichoice(self, question: ET.Element, line: int, name: str, label: str) -> None:
        losses = Losses()
        stem, lost = _markdown(_child(question, "questiontext"))
        losses.note("the question text", lost, stem, essential=True)
        answers = [a for a in question if local_name(a.tag) == "answer"]
        if len(answers) < 2:
            self.warn(
                line, f"{label} skipped: {counted(len(answers), 'answer')}; it needs at least two"
            )
            return
        options: list[str] = []
        rationales: list[str] = []
        fractions: list[float] = []
        for index, answer in enumerate(answers):
            where = f"answer {index + 1}"
            text, lost = _markdown(answer, answer.get("format") or "html")
            losses.note(where, lost, text, essential=True)
            feedback, lost = _markdown(_child(answer, "feedback"))
            losses.note(f"{where} feedback", lost, feedback, essential=False)
            options.append(text)
            rationales.append(feedback)
            try:
                fractions.append(float((answer.get("fraction") or "0").strip()))
            except ValueError:
                self.warn(
                    self.lines.get(answer, line),
                    f"{label} skipped: answer {index + 1} has fraction "
                    f"{answer.get('fraction')!r}, not a number",
                )
                return
        correct = [i for i, f in enumerate(fractions) if abs(f - FULL_MARKS) < 1e-6]
        if len(correct) != 1:
            self.warn(
                line,
                f"{label} skipped: "
                + (
                    "no answer is worth 100%"
                    if not correct
                    else f"{len(correct)} answers are worth 100%; the engine needs exactly one"
                ),
            )
            return
        partial = [i + 1 for i, f in enumerate(fractions) if 0 < f < FULL_MARKS]
        if partial:
            self.warn(
                line,
                f"{label}: partial credit on {plural(len(partial), 'answer')} "
                f"{', '.join(map(str, partial))} dropped; "
                "the engine scores one answer right and the others wrong",
            )
        general_html, references = _references(_child(question, "generalfeedback"))
        general_element = ET.Element("generalfeedback", {"format": "html"})
        ET.SubElement(general_element, "text").text = general_html
        general, lost = _markdown(general_element)
        losses.note("the general feedback", lost, general, essential=False)
        if losses.meaning:
            self.warn(line, f"{label} skipped: " + "; ".join(losses.meaning))
            return
        if not stem.strip():
            self.warn(line, f"{label} skipped: the question text is empty")
            return
        if any(not option.strip() for option in options):
            empty = next(i for i, option in enumerate(options) if not option.strip())
            self.warn(line, f"{label} skipped: answer {empty + 1} is empty")
            return
        changed = losses.warning()
        if changed:
            self.warn(line, f"{label}: {changed}")
        idnumber = _plain_value(_child(question, "idnumber"))
        subdomain, difficulty = self.subdomain, None
        extras: dict[str, object] = {}
        for tag in self.tags(question):
            lowered = tag.lower()
            if lowered.startswith(DIFFICULTY_TAG):
                level = tag[len(DIFFICULTY_TAG) :].strip().lower()
                difficulty = level if level in DIFFICULTIES else None
            elif lowered.startswith(ENEMY_TAG):
                enemies = extras.setdefault("enemies", [])
                assert isinstance(enemies, list)
                enemies.append(tag[len(ENEMY_TAG) :].strip())
            elif lowered.startswith(AS_OF_TAG):
                extras["as_of"] = tag[len(AS_OF_TAG) :].strip()
            elif lowered.startswith(SOURCE_TAG):
                extras["source_ref"] = tag[len(SOURCE_TAG) :].strip()
            elif subdomain is None:
                found = subdomain_in(tag, self.blueprint, what="Moodle tag")
                subdomain = found.subdomain
        self.items.append(
            ForeignItem(
                file=self.file,
                line=line,
                source_ref=idnumber or name,
                stem=stem,
                options=tuple(options),
                answer=correct[0],
                rationales=tuple(rationales),
                general_feedback=general,
                subdomain=subdomain,
                difficulty=difficulty,
                references=references,
            )
        )
        self.extras.append(extras)

    def tags(self, question: ET.Element) -> list[str]:
        tags = _child(question, "tags")
        if tags is None:
            return []
        return [_raw_text(tag).strip() for tag in tags if local_name(tag.tag) == "tag"]


def parse_foreign(data: bytes, *, filename: str, blueprint: Blueprint) -> ForeignParsed:
    """Read a Moodle XML question export; never raises on bad input.

    A syntax error (a truncated file) is one problem with its line and nothing is read.
    """
    return _read(data, filename, blueprint)[0]


def parse(
    data: bytes, *, filename: str, blueprint: Blueprint, known_keys: Iterable[str] = ()
) -> Parsed:
    """Read Moodle XML as complete bank items (all or nothing), as written by :func:`write`.

    The ``idnumber`` is the key; every field publishing needs must be there, so another
    tool's file is refused item by item with the reasons. Items other than four answers are
    skipped with a warning.
    """
    parsed, extras = _read(data, filename, blueprint)
    if parsed.problems:
        return Parsed((), parsed.warnings, parsed.problems)
    warnings = list(parsed.warnings)
    raws: list[RawItem] = []
    for item, extra in zip(parsed.items, extras, strict=True):
        name = f"question {item.source_ref!r}" if item.source_ref else "a question"
        if len(item.options) != len(OPTION_LABELS):
            warnings.append(
                Problem(
                    item.file,
                    item.line,
                    f"{name} skipped: {len(item.options)} answers; the engine needs exactly "
                    f"{len(OPTION_LABELS)}",
                )
            )
            continue
        if item.general_feedback:
            warnings.append(
                Problem(item.file, item.line, f"{name}: its general feedback is not kept")
            )
        raw: dict[str, object] = {
            "key": item.source_ref,
            "difficulty": item.difficulty or "",
            "stem": item.stem,
            "options": labelled(item.options),
            "answer": OPTION_LABELS[item.answer],
            "rationale": labelled(item.rationales),
            "references": list(item.references),
            **extra,
        }
        if item.subdomain:
            raw["subdomain"] = item.subdomain
        raws.append(RawItem(item.file, item.line, raw, {"key": item.line}))
    return check_items(raws, blueprint, known_keys=known_keys, warnings=warnings)


def _read(
    data: bytes, filename: str, blueprint: Blueprint
) -> tuple[ForeignParsed, list[dict[str, object]]]:
    bad = decode_text(data, filename)[1]  # the check only: the text is not kept
    reader = _Reader(filename, blueprint, {})
    xml = None

    def question(root: ET.Element, child: ET.Element, lines: dict[ET.Element, int]) -> None:
        # Each question is read as soon as it is parsed, then dropped (see parse_xml).
        if local_name(root.tag) == "quiz" and local_name(child.tag) == "question":
            reader.lines = lines
            reader.question(child)

    try:
        if bad is None:
            xml, bad = parse_xml(data, filename, what="Moodle XML", on_element=question)
    except RecursionError:
        deep = Problem(filename, 1, "the XML is nested too deeply to read")
        return ForeignParsed((), (), (deep,)), []
    if bad is not None:
        return ForeignParsed((), (), (bad,)), []
    if reader.problems:
        return ForeignParsed((), tuple(reader.warnings), tuple(reader.problems)), []
    assert xml is not None
    root = xml.root
    if local_name(root.tag) != "quiz":
        wrong = Problem(
            filename,
            xml.line(root),
            f"not Moodle XML: the root element is <{local_name(root.tag)}>, expected <quiz>",
        )
        return ForeignParsed((), (), (wrong,)), []
    return ForeignParsed(tuple(reader.items), tuple(reader.warnings), ()), reader.extras


# --- writing ------------------------------------------------------------------------------


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _html_lines(text: str) -> str:
    # XML turns a raw carriage return into a line feed; as a character reference the HTML
    # parser gives it back.
    lines = (html.escape(line, quote=False).replace("\r", "&#13;") for line in text.split("\n"))
    return "<br>".join(lines)


def _engine_html(text: str) -> str:
    """Markdown source as HTML Moodle shows and the reader turns back into the same text."""
    paragraphs = "".join(f"<p>{_html_lines(block)}</p>" for block in text.split("\n\n"))
    return f'<div class="aaism-markdown">{paragraphs}</div>'


def _text(tag: str, text: str, fmt: str = "html", indent: str = "    ") -> str:
    return (
        f'{indent}<{tag} format="{fmt}">\n{indent}  <text>{_cdata(text)}</text>\n{indent}</{tag}>\n'
    )


def _plain(tag: str, value: str, indent: str = "    ") -> str:
    return f"{indent}<{tag}>{html.escape(value, quote=False)}</{tag}>\n"


def _category(item: ItemRecord, blueprint: Blueprint) -> str:
    try:
        title = blueprint.subdomain(item.subdomain).title
    except BlueprintError:
        title = ""
    # Moodle separates category levels with "/" and writes a "/" inside a name as "//".
    name = f"{item.subdomain} {title}".strip().replace("/", "//")
    return f"$course$/top/{blueprint.name.replace('/', '//')}/{name}"


def _check(item: ItemRecord) -> None:
    for name, value in item_texts(item):
        match = XML_ILLEGAL.search(value)
        if match:
            raise ExportError(
                f"item {item.key}: {name} holds the character U+{ord(match.group()):04X}, "
                "which XML (and so Moodle XML) cannot carry; remove it and export again"
            )


def _question(item: ItemRecord) -> str:
    references = "".join(f"<li>{_html_lines(ref)}</li>" for ref in item.references)
    general = (
        f'<p>References:</p><ul class="aaism-references">{references}</ul>' if references else ""
    )
    out = [f"  <!-- {item.key} -->\n", '  <question type="multichoice">\n']
    out.append(
        f"    <name>\n      <text>{html.escape(item.key, quote=False)}</text>\n    </name>\n"
    )
    out.append(_text("questiontext", _engine_html(item.stem)))
    out.append(_text("generalfeedback", general))
    out += [
        _plain("defaultgrade", "1"),
        _plain("penalty", "0"),
        _plain("hidden", "0"),
        _plain("idnumber", item.key),
        _plain("single", "true"),
        # The engine's A-D order is the item's: Moodle must not shuffle it.
        _plain("shuffleanswers", "false"),
        _plain("answernumbering", "ABCD"),
    ]
    for index, option in enumerate(item.options):
        fraction = "100" if index == item.answer else "0"
        out.append(f'    <answer fraction="{fraction}" format="html">\n')
        out.append(f"      <text>{_cdata(_engine_html(option))}</text>\n")
        out.append(_text("feedback", _engine_html(item.rationales[index]), indent="      "))
        out.append("    </answer>\n")
    out.append("    <tags>\n")
    tags = [f"{DIFFICULTY_TAG}{item.difficulty}"]
    tags += [f"{ENEMY_TAG}{enemy}" for enemy in item.enemies]
    if item.as_of is not None:
        tags.append(f"{AS_OF_TAG}{item.as_of.isoformat()}")
    if item.source_ref:
        tags.append(f"{SOURCE_TAG}{item.source_ref}")
    for tag in tags:
        out.append(f"      <tag><text>{html.escape(tag, quote=False)}</text></tag>\n")
    out.append("    </tags>\n")
    out.append("  </question>\n")
    return "".join(out)


def write(items: Sequence[ItemRecord], blueprint: Blueprint) -> bytes:
    """Write items as Moodle XML: a category per sub-domain, then its items in key order."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', "<quiz>\n"]
    current = None
    for item in sorted_items(items):
        _check(item)
        category = _category(item, blueprint)
        if category != current:
            current = category
            out.append('  <question type="category">\n')
            out.append(f"    <category>\n      <text>{html.escape(category, quote=False)}</text>\n")
            out.append("    </category>\n")
            out.append('    <info format="html">\n      <text></text>\n    </info>\n')
            out.append("  </question>\n")
        out.append(_question(item))
    out.append("</quiz>\n")
    return "".join(out).encode("utf-8")
