"""Reading QTI 3.0 packages and items safely (defusedxml, no DTD), with lines for messages."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET

from exam_engine.domain.bank import Problem, RawItem
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.formats._common import (
    Parsed,
    check_items,
    domain_mismatch,
    is_zip,
    labelled,
    read_zip,
    safe_member_name,
    subdomain_from_key,
)
from exam_engine.domain.formats._markup import element_markdown, local_name
from exam_engine.domain.formats.limits import wide_encoding, xml_encoding_problem
from exam_engine.domain.formats.qti.names import (
    FROM_LOM_DIFFICULTY,
    MANIFEST,
    NOT_CONTENT_TAGS,
)
from exam_engine.domain.formats.qti.own_meta import OwnMeta, is_references_list, own_meta
from exam_engine.domain.formats.qti.package import read_members, unlisted

# --- safe XML with lines --------------------------------------------------------------------


# Called with the parent and a streamed element once it is complete; the element is then
# dropped from the tree (and its lines from the map), so a large file is never held whole.
ElementHandler = Callable[[ET.Element, ET.Element, dict[ET.Element, int]], None]


class _LineTarget:
    """A tree-builder target that remembers the line each element starts on.

    With ``on_element``, the children of the elements named ``streamed`` (a local name; by
    default the root) are handed to it as each ends, then dropped.
    """

    def __init__(
        self, on_element: ElementHandler | None = None, streamed: str | None = None
    ) -> None:
        self.builder = ET.TreeBuilder()
        self.lines: dict[ET.Element, int] = {}
        self.expat: Any = None
        self.on_element = on_element
        self.streamed = streamed
        self.open: list[ET.Element] = []

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = self.builder.start(tag, attrs)
        self.lines[element] = int(self.expat.CurrentLineNumber) if self.expat else 1
        self.open.append(element)
        return element

    def end(self, tag: str) -> ET.Element:
        element = self.builder.end(tag)
        self.open.pop()
        if self.on_element is None or not self.open:
            return element
        parent = self.open[-1]
        wanted = (
            local_name(parent.tag) == self.streamed
            if self.streamed is not None
            else len(self.open) == 1
        )
        if wanted:
            self.on_element(parent, element, self.lines)
            parent.remove(element)
            for part in element.iter():
                self.lines.pop(part, None)
        return element

    def data(self, text: str) -> None:
        self.builder.data(text)

    def close(self) -> ET.Element:
        return self.builder.close()


@dataclass
class _Xml:
    """A parsed document and the start line of each element."""

    root: ET.Element
    lines: dict[ET.Element, int]

    def line(self, element: ET.Element | None) -> int:
        return self.lines.get(element, 1) if element is not None else 1


def parse_xml(
    data: bytes,
    file: str,
    what: str = "QTI",
    on_element: ElementHandler | None = None,
    streamed: str | None = None,
) -> tuple[_Xml | None, Problem | None]:
    """Parse XML safely: no DTD, so no entity expansion and no external entities.

    ``what`` names the format in the refusal (QTI, Moodle XML). Only UTF-8 is read: XML
    declaring another encoding, or in UTF-16, is "not UTF-8". With ``on_element``, each
    child of an element named ``streamed`` (of the root when None) is handed to it with its
    parent as soon as it is complete, then dropped from the returned tree; a syntax error
    further on still makes the whole file a problem (the caller discards what it read).
    """
    not_utf8 = xml_encoding_problem(data, file)
    if not_utf8 is not None:
        return None, not_utf8
    target = _LineTarget(on_element, streamed)
    parser = SafeET.DefusedXMLParser(
        target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    target.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except defusedxml.DefusedXmlException as exc:
        line = int(getattr(parser.parser, "CurrentLineNumber", 1) or 1)
        return None, Problem(
            file,
            line,
            f"refused: the XML declares a DTD or entities ({type(exc).__name__}); {what} needs "
            "neither, and entity expansion (billion laughs) or external entities (XXE) are "
            "attacks, so such files are never read",
        )
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        message = str(exc).split(": line", 1)[0]
        return None, Problem(file, line, f"XML syntax error: {message}")
    return _Xml(root, target.lines), None


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if local_name(child.tag) == name]


def _first(element: ET.Element | None, *path: str) -> ET.Element | None:
    """Follow child names (namespace-blind); None when any step is missing."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if local_name(c.tag) == name), None)
    return element


def _text_of(element: ET.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


# --- the manifest -----------------------------------------------------------------------------


@dataclass
class _Entry:
    """What the manifest says about one item resource."""

    href: str
    line: int
    key: str = ""
    difficulty: str = ""
    taxa: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)


def _lom_values(lom: ET.Element | None, entry: _Entry) -> None:
    if lom is None:
        return
    entry.key = _text_of(_first(lom, "general", "identifier", "entry"))
    level = _text_of(_first(lom, "educational", "difficulty", "value")).lower()
    entry.difficulty = FROM_LOM_DIFFICULTY.get(level, level)
    for classification in _children(lom, "classification"):
        for path in _children(classification, "taxonpath"):
            entry.taxa += [_text_of(_first(taxon, "id")) for taxon in _children(path, "taxon")]
    for relation in _children(lom, "relation"):
        if _text_of(_first(relation, "kind", "value")).lower() == "references":
            text = _text_of(_first(relation, "resource", "description", "string"))
            if text:
                entry.references.append(text)


class _Manifest:
    """A manifest's item entries, collected as each ``<resource>`` is parsed (streamed)."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        self.entries: list[_Entry] = []
        self.skipped: dict[str, int] = {}

    def resource(
        self, _parent: ET.Element, resource: ET.Element, lines: dict[ET.Element, int]
    ) -> None:
        """Read one ``<resource>`` of a ``<resources>`` list."""
        if local_name(resource.tag) != "resource":
            return
        kind = (resource.get("type") or "").strip()
        line = lines.get(resource, 1)
        if not kind.startswith("imsqti_item_xmlv3"):
            self.skipped.setdefault(kind or "(no type)", line)
            return
        href = (resource.get("href") or "").strip()
        if not href:
            first_file = _first(resource, "file")
            href = (first_file.get("href") or "").strip() if first_file is not None else ""
        safe = safe_member_name(href)
        if safe is None:
            self.problems.append(
                Problem(self.file, line, f"resource href {href!r} is missing or leaves the package")
            )
            return
        entry = _Entry(safe, line)
        _lom_values(_first(resource, "metadata", "lom"), entry)
        self.entries.append(entry)

    def warnings(self) -> list[Problem]:
        """One warning for each kind of resource that is not a QTI 3.0 item."""
        found: list[Problem] = []
        for kind, line in self.skipped.items():
            reason = (
                "QTI 2.x items are not read (QTI 3.0 only)"
                if kind.startswith("imsqti_item")
                else "only QTI 3.0 item resources are read"
            )
            found.append(Problem(self.file, line, f"resources of type {kind!r} skipped: {reason}"))
        return found


# --- items --------------------------------------------------------------------------------


@dataclass
class _ItemReader:
    """Turns QTI item documents into raw items."""

    blueprint: Blueprint
    raws: list[RawItem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def read(self, data: bytes, file: str, entry: _Entry | None) -> None:
        xml, bad = parse_xml(data, file)
        if xml is None:
            assert bad is not None
            self.problems.append(bad)
            return
        try:
            self.item(xml, file, entry)
        except RecursionError:
            self.problems.append(Problem(file, 1, "the item's XML is nested too deeply to read"))

    def item(self, xml: _Xml, file: str, entry: _Entry | None) -> None:
        root = xml.root
        line = xml.line(root)
        tag = local_name(root.tag)
        if tag == "assessmentitem":
            self.warnings.append(
                Problem(file, line, "skipped: a QTI 2.x assessmentItem (only QTI 3.0 is read)")
            )
            return
        if tag != "qti-assessment-item":
            self.problems.append(
                Problem(
                    file,
                    line,
                    f"not a QTI 3.0 item: the root element is <{tag}>, "
                    "expected <qti-assessment-item>",
                )
            )
            return
        identifier = (root.get("identifier") or "").strip()
        name = f"item {identifier!r}" if identifier else "the item"

        def skip(reason: str) -> None:
            self.warnings.append(Problem(file, line, f"{name} skipped: {reason}"))

        body = _first(root, "qti-item-body")
        if body is None:
            self.problems.append(Problem(file, line, f"{name} has no <qti-item-body>"))
            return
        interactions = [el for el in body.iter() if local_name(el.tag).endswith("-interaction")]
        kinds = sorted({local_name(el.tag) for el in interactions})
        if kinds != ["qti-choice-interaction"] or len(interactions) != 1:
            found = ", ".join(kinds) or "no interaction"
            skip(f"it has {found}; the engine reads one qti-choice-interaction")
            return
        choice = interactions[0]
        if (choice.get("max-choices") or "1").strip() != "1":
            skip(
                f"max-choices={choice.get('max-choices')!r} (multiple response); the engine "
                'reads single-best-answer items (max-choices="1")'
            )
            return
        simple = _children(choice, "qti-simple-choice")
        if len(simple) != 4:
            skip(f"{len(simple)} choices; the engine needs exactly four")
            return
        response_id = (choice.get("response-identifier") or "RESPONSE").strip()
        declaration = next(
            (
                d
                for d in _children(root, "qti-response-declaration")
                if (d.get("identifier") or "").strip() == response_id
            ),
            None,
        )
        correct = _first(declaration, "qti-correct-response")
        values = (
            [_text_of(v) for v in _children(correct, "qti-value")] if correct is not None else []
        )
        if len(values) != 1:
            skip(
                "no correct response is declared"
                if not values
                else f"{len(values)} correct responses; the engine needs exactly one"
            )
            return
        ids = [(c.get("identifier") or "").strip() for c in simple]
        if values[0] not in ids:
            self.problems.append(
                Problem(
                    file,
                    xml.line(declaration),
                    f"{name}: the correct response "
                    f"{values[0]!r} is not one of the choices ({', '.join(ids)})",
                )
            )
            return

        own = own_meta(body)
        verbatim = own is not None
        dropped: set[str] = set()

        def text(element: ET.Element, skip_el: Callable[[ET.Element], bool]) -> str:
            value, lost = element_markdown(element, verbatim=verbatim, skip=skip_el)
            dropped.update(lost)
            return value

        prompt = _first(choice, "qti-prompt")
        stem = text(
            body,
            lambda el: el is choice or local_name(el.tag) in NOT_CONTENT_TAGS,
        )
        if prompt is not None:
            prompt_text = text(prompt, lambda el: local_name(el.tag) in NOT_CONTENT_TAGS)
            stem = "\n\n".join(part for part in (stem, prompt_text) if part.strip())
        data: dict[str, object] = {"stem": stem}
        lines: dict[str, int] = {"key": line, "stem": xml.line(body)}
        options: list[str] = []
        rationales: dict[str, str] = {}
        per_choice = self.outside_feedback(root, ids)
        for index, element in enumerate(simple):
            label = "ABCD"[index]
            options.append(text(element, lambda el: local_name(el.tag) in NOT_CONTENT_TAGS))
            lines[f"options.{label}"] = xml.line(element)
            inline = next(
                (el for el in element.iter() if local_name(el.tag) == "qti-feedback-inline"), None
            )
            feedback = inline if inline is not None else per_choice.get(ids[index])
            if feedback is not None:
                content = _first(feedback, "qti-content-body")
                source = content if content is not None else feedback
                rationale = text(source, lambda el: local_name(el.tag) in NOT_CONTENT_TAGS)
                if rationale.strip():
                    rationales[label] = rationale
                lines[f"rationale.{label}"] = xml.line(feedback)
            else:
                lines[f"rationale.{label}"] = xml.line(element)
        data["options"] = labelled(options)
        data["rationale"] = rationales
        data["answer"] = "ABCD"[ids.index(values[0])]
        lines["answer"] = xml.line(declaration)
        if dropped:
            tags = ", ".join(f"<{t}>" for t in sorted(dropped))
            self.warnings.append(
                Problem(file, line, f"{name}: markup {tags} dropped when converting to Markdown")
            )
        self.metadata(root, body, own or OwnMeta(), xml, file, name, entry, data, lines)
        self.raws.append(RawItem(file, line, data, lines))

    def outside_feedback(self, root: ET.Element, ids: list[str]) -> dict[str, ET.Element]:
        """Feedback blocks or modal feedback whose identifier is a choice's (foreign items)."""
        found: dict[str, ET.Element] = {}
        for element in root.iter():
            if local_name(element.tag) in ("qti-feedback-block", "qti-modal-feedback"):
                identifier = (element.get("identifier") or "").strip()
                if identifier in ids and identifier not in found:
                    found[identifier] = element
        return found

    def metadata(
        self,
        root: ET.Element,
        body: ET.Element,
        own: OwnMeta,
        xml: _Xml,
        file: str,
        name: str,
        entry: _Entry | None,
        data: dict[str, object],
        lines: dict[str, int],
    ) -> None:
        """Key, sub-domain, difficulty, references and enemies: the item's, else the manifest's."""
        body_line = xml.line(body)
        manifest_line = entry.line if entry is not None else body_line

        def at(field_name: str) -> int:
            element = own.element(field_name)
            return xml.line(element) if element is not None else body_line

        def pick(what: str, field_name: str, listed: str) -> tuple[str, int]:
            value = own.value(field_name)
            if field_name == "difficulty":
                value = value.lower()
            if value and listed and value != listed:
                self.warnings.append(
                    Problem(
                        file,
                        at(field_name),
                        f"{name}: the manifest gives {what} {listed!r}, "
                        f"the item {value!r}; the item's is used",
                    )
                )
            return (value, at(field_name)) if value else (listed, manifest_line)

        # The item's identifier is often a tool's own id: the LOM entry is the better key.
        key, key_line = pick("the key", "key", entry.key if entry else "")
        if not key:
            key, key_line = (root.get("identifier") or "").strip(), xml.line(root)
        data["key"] = key
        lines["key"] = key_line

        subs = set(self.blueprint.subdomain_codes)
        listed_sub = next((t for t in reversed(entry.taxa) if t in subs), "") if entry else ""
        subdomain, sub_line = pick("the sub-domain", "subdomain", listed_sub)
        subdomain = subdomain or subdomain_from_key(key)
        if subdomain:
            data["subdomain"] = subdomain
            lines["subdomain"] = sub_line

        domains = {d.code for d in self.blueprint.domains}
        stated, stated_line = own.value("domain"), at("domain")
        if not stated and entry is not None:
            stated = next((t for t in entry.taxa if t in domains), "")
            stated_line = manifest_line
        reason = domain_mismatch(stated, subdomain, self.blueprint)
        if reason:
            self.problems.append(Problem(file, stated_line, f"{name}: {reason}"))

        difficulty, level_line = pick(
            "the difficulty", "difficulty", entry.difficulty if entry else ""
        )
        if difficulty:
            data["difficulty"] = difficulty
            lines["difficulty"] = level_line

        references = self.own_references(root, xml)
        if references is not None:
            refs, refs_line = references
            if entry is not None and entry.references and entry.references != refs:
                self.warnings.append(
                    Problem(
                        file,
                        refs_line,
                        f"{name}: the manifest lists other references; the item's are used",
                    )
                )
            data["references"] = refs
            lines["references"] = refs_line
        elif entry is not None and entry.references:
            data["references"] = list(entry.references)
            lines["references"] = manifest_line

        source = own.value("source")
        if source:
            data["source_ref"] = source
            lines["source_ref"] = at("source")

        enemies = own.values("enemy")
        if enemies:
            data["enemies"] = enemies
            lines["enemies"] = at("enemy")
        as_of = own.value("as-of")
        if as_of:
            data["as_of"] = as_of
            lines["as_of"] = at("as-of")

    def own_references(self, root: ET.Element, xml: _Xml) -> tuple[list[str], int] | None:
        """The references list this engine writes into its modal feedback, if present."""
        for element in root.iter():
            if is_references_list(element):
                refs = [
                    element_markdown(li, verbatim=True)[0]
                    for li in element
                    if local_name(li.tag) == "li"
                ]
                return refs, xml.line(element)
        return None


def parse(
    data: bytes,
    *,
    filename: str,
    blueprint: Blueprint,
    known_keys: Iterable[str] = (),
) -> Parsed:
    """Parse a QTI 3.0 package (zip) or a single item's XML; never raises on bad input."""
    reader = _ItemReader(blueprint)
    if is_zip(data):
        members, problems = read_zip(data, filename)
        if problems:
            return Parsed((), (), tuple(problems))
        manifest = members.get(MANIFEST)
        entries: list[_Entry] = []
        if manifest is None:
            reader.warnings.append(
                Problem(
                    filename, 1, f"no {MANIFEST}: every .xml file in the zip is read as an item"
                )
            )
            entries = unlisted(members, _Entry)
            use_entries = False
        else:
            manifest_file = f"{filename}/{MANIFEST}"
            collected = _Manifest(manifest_file, reader.problems)
            xml, bad = parse_xml(
                manifest, manifest_file, on_element=collected.resource, streamed="resources"
            )
            del manifest  # up to 64 MB: read, not kept
            if xml is None:
                assert bad is not None
                return Parsed((), (), (bad,))
            entries = collected.entries
            reader.warnings.extend(collected.warnings())
            use_entries = True
        read_members(
            members,
            filename,
            entries,
            listed=use_entries,
            read=reader.read,
            problems=reader.problems,
            kind="QTI 3.0 items",
        )
    elif data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<" or wide_encoding(data):
        reader.read(data, filename, None)
    else:
        reader.problems.append(
            Problem(
                filename,
                1,
                "not a QTI 3.0 content package (a zip with imsmanifest.xml) "
                "or a qti-assessment-item XML file",
            )
        )
    return check_items(
        reader.raws,
        blueprint,
        known_keys=known_keys,
        problems=reader.problems,
        warnings=reader.warnings,
    )
