"""Choice items from other QTI tools, QTI 2.1 and 3.0, read into foreign items.

QTI 2.1 names elements in camelCase (``assessmentItem``, ``choiceInteraction``, attributes
``maxChoices``) and QTI 3.0 in kebab case with a ``qti-`` prefix (``qti-assessment-item``,
``max-choices``); both are read through one normalised name (``choiceinteraction``). An item
with one choice interaction, ``maxChoices`` 1 and a single-cardinality correct response is
read: its identifier (else its title) is the ``source_ref``, the item body without the
interaction plus the prompt is the stem, feedback inside a choice or carrying a choice's
identifier is that choice's rationale, and other modal feedback is the general feedback.
Anything else is skipped with a warning naming the item and its interaction. In a content
package the manifest's metadata values (LOM, qti-metadata) may name an AAISM code.

Feedback attaches to a choice only through a real, non-empty identifier: a feedback with no
identifier never lands on a choice that has none (a choice without one skips its item).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from exam_engine.domain.bank import Problem
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.formats._common import (
    decode_text,
    is_zip,
    read_zip,
    safe_member_name,
)
from exam_engine.domain.formats._lost import Losses, kinds, tex_as_code
from exam_engine.domain.formats._markup import element_markdown, local_name
from exam_engine.domain.formats.foreign import ForeignItem, ForeignParsed, subdomain_in
from exam_engine.domain.formats.qti.names import FROM_LOM_DIFFICULTY, MANIFEST
from exam_engine.domain.formats.qti.own_meta import OwnMeta, is_references_list, own_meta
from exam_engine.domain.formats.qti.package import read_members, unlisted
from exam_engine.domain.formats.qti.reader import _Xml, parse_xml
from exam_engine.domain.plurals import counted

FEEDBACK = frozenset({"feedbackinline", "feedbackblock", "modalfeedback"})
NOT_CONTENT = FEEDBACK | {
    "rubricblock",
    "templateblock",
    "templateinline",
    "stylesheet",
    "catalog",
    "cataloginfo",
}
ITEM_ROOTS = {"assessmentitem": "QTI 2.1", "qti-assessment-item": "QTI 3.0"}


def _name(element: ET.Element) -> str:
    """The element's name with QTI 2.1 and 3.0 spellings made one (``choiceinteraction``)."""
    return local_name(element.tag).removeprefix("qti-").replace("-", "")


def _shown(element: ET.Element) -> str:
    """The element's name as the file spells it, for messages (``textEntryInteraction``)."""
    return str(element.tag).rpartition("}")[2]


def _attr(element: ET.Element, camel: str) -> str:
    """An attribute in QTI 2.1 (``maxChoices``) or 3.0 (``max-choices``) spelling, stripped."""
    kebab = "".join(f"-{c.lower()}" if c.isupper() else c for c in camel)
    return (element.get(camel) or element.get(kebab) or "").strip()


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [c for c in element if _name(c) == name] if element is not None else []


def _first(element: ET.Element | None, name: str) -> ET.Element | None:
    return next(iter(_children(element, name)), None)


@dataclass
class _Resource:
    """A manifest's item resource: where its file is and the metadata values it lists."""

    href: str
    line: int
    manifest: str = ""
    values: list[str] = field(default_factory=list)
    difficulty: str = ""


def _metadata_values(metadata: ET.Element | None) -> list[str]:
    """Every non-empty leaf text under a resource's metadata (LOM, qti-metadata)."""
    if metadata is None:
        return []
    return [
        text.strip()
        for element in metadata.iter()
        if len(element) == 0 and (text := element.text or "").strip()
    ]


def _lom_difficulty(metadata: ET.Element | None) -> str:
    """LOM's ``educational/difficulty/value`` (lower case), or ''."""
    if metadata is None:
        return ""
    for element in metadata.iter():
        if local_name(element.tag) == "difficulty":
            value = next((c for c in element if local_name(c.tag) == "value"), None)
            if value is not None:
                return "".join(value.itertext()).strip().lower()
    return ""


@dataclass
class _ForeignReader:
    """Reads item documents into foreign items, with warnings and problems."""

    blueprint: Blueprint
    items: list[ForeignItem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def read(self, data: bytes, file: str, resource: _Resource | None) -> None:
        _text, bad = decode_text(data, file)
        xml = None
        if bad is None:
            xml, bad = parse_xml(data, file)
        if bad is not None:
            self.problems.append(bad)
            return
        assert xml is not None
        try:
            self.item(xml, file, resource)
        except RecursionError:
            self.problems.append(Problem(file, 1, "the item's XML is nested too deeply to read"))

    def item(self, xml: _Xml, file: str, resource: _Resource | None) -> None:
        root = xml.root
        line = xml.line(root)
        tag = local_name(root.tag)
        if tag not in ITEM_ROOTS:
            expected = "<assessmentItem> (QTI 2.1) or <qti-assessment-item> (QTI 3.0)"
            if tag == "manifest":
                reason = "this is a content package's manifest: import the whole zip"
            else:
                reason = f"not a QTI item: the root element is <{tag}>, expected {expected}"
            self.problems.append(Problem(file, line, reason))
            return
        identifier = _attr(root, "identifier")
        title = _attr(root, "title")
        label = f"item {identifier or title!r}" if identifier or title else "the item"

        def skip(reason: str) -> None:
            self.warnings.append(Problem(file, line, f"{label} skipped: {reason}"))

        body = _first(root, "itembody")
        if body is None:
            skip("it has no item body")
            return
        interactions = [el for el in body.iter() if _name(el).endswith("interaction")]
        if len(interactions) != 1 or _name(interactions[0]) != "choiceinteraction":
            found = ", ".join(sorted({_shown(el) for el in interactions}))
            skip(
                f"it has {found or 'no interaction'}; the engine reads items with one "
                "single-answer choice interaction"
            )
            return
        choice = interactions[0]
        if (_attr(choice, "maxChoices") or "1") != "1":
            skip(
                f"its {_shown(choice)} allows {_attr(choice, 'maxChoices')} choices "
                "(multiple response); the engine reads single-answer items (maxChoices 1)"
            )
            return
        response_id = _attr(choice, "responseIdentifier") or "RESPONSE"
        declaration = next(
            (
                d
                for d in _children(root, "responsedeclaration")
                if _attr(d, "identifier") == response_id
            ),
            None,
        )
        cardinality = _attr(declaration, "cardinality") if declaration is not None else ""
        if cardinality and cardinality != "single":
            skip(
                f"its response {response_id!r} has cardinality {cardinality!r}; the engine "
                "reads single-cardinality items"
            )
            return
        values = [
            "".join(v.itertext()).strip()
            for v in _children(_first(declaration, "correctresponse"), "value")
        ]
        if len(values) != 1:
            skip(
                "no correct response is declared"
                if not values
                else f"{len(values)} correct responses; the engine needs exactly one"
            )
            return
        choices = _children(choice, "simplechoice")
        ids = [_attr(c, "identifier") for c in choices]
        if len(choices) < 2:
            skip(f"{counted(len(choices), 'choice')}; it needs at least two")
            return
        if "" in ids:
            skip(f"choice {ids.index('') + 1} has no identifier, so its answer is unknowable")
            return
        if values[0] not in ids:
            skip(f"the correct response {values[0]!r} is not one of its choices ({', '.join(ids)})")
            return
        self.choice_item(root, body, choice, choices, ids, values[0], xml, file, label, resource)

    def choice_item(
        self,
        root: ET.Element,
        body: ET.Element,
        choice: ET.Element,
        choices: list[ET.Element],
        ids: list[str],
        correct: str,
        xml: _Xml,
        file: str,
        label: str,
        resource: _Resource | None,
    ) -> None:
        line = xml.line(root)
        own = own_meta(body)
        verbatim = own is not None
        losses = Losses()

        def text(element: ET.Element, skip: Callable[[ET.Element], bool]) -> tuple[str, set[str]]:
            value, dropped = element_markdown(element, verbatim=verbatim, skip=skip)
            lost = kinds(dropped)
            if not verbatim:
                value, had_tex = tex_as_code(value)
                lost |= {"tex"} if had_tex else set()
            return value, lost

        def not_content(element: ET.Element) -> bool:
            return _name(element) in NOT_CONTENT

        stem, lost = text(body, lambda el: el is choice or not_content(el))
        prompt = _first(choice, "prompt")
        if prompt is not None:
            prompt_text, prompt_lost = text(prompt, not_content)
            stem = "\n\n".join(part for part in (stem, prompt_text) if part.strip())
            lost |= prompt_lost
        losses.note("the stem", lost, stem, essential=True)

        outside: dict[str, ET.Element] = {}
        general: list[str] = []
        references: tuple[str, ...] = ()
        for element in root.iter():
            if _name(element) not in FEEDBACK or any(element in c.iter() for c in choices):
                continue
            identifier = _attr(element, "identifier")
            if identifier and identifier in ids and identifier not in outside:
                outside[identifier] = element
                continue
            if _name(element) != "modalfeedback":
                continue
            refs = next(
                (el for el in element.iter() if is_references_list(el)),
                None,
            )
            if refs is not None:
                references = tuple(
                    element_markdown(li, verbatim=True)[0]
                    for li in refs
                    if local_name(li.tag) == "li"
                )
                continue
            content = _first(element, "contentbody")
            value, lost = text(content if content is not None else element, lambda _el: False)
            losses.note("the general feedback", lost, value, essential=False)
            if value.strip():
                general.append(value)

        options: list[str] = []
        rationales: list[str] = []
        for index, element in enumerate(choices):
            where = f"choice {ids[index]!r}"
            option, lost = text(element, not_content)
            losses.note(where, lost, option, essential=True)
            options.append(option)
            inline = next((el for el in element.iter() if _name(el) == "feedbackinline"), None)
            feedback = inline if inline is not None else outside.get(ids[index])
            rationale = ""
            if feedback is not None:
                content = _first(feedback, "contentbody")
                rationale, lost = text(content if content is not None else feedback, not_content)
                losses.note(f"{where} feedback", lost, rationale, essential=False)
            rationales.append(rationale)

        def skip(reason: str) -> None:
            self.warnings.append(Problem(file, line, f"{label} skipped: {reason}"))

        if losses.meaning:
            skip("; ".join(losses.meaning))
            return
        if not stem.strip():
            skip("its stem is empty")
            return
        empty = [ids[i] for i, option in enumerate(options) if not option.strip()]
        if empty:
            skip(f"choice {empty[0]!r} is empty")
            return
        changed = losses.warning()
        if changed:
            self.warnings.append(Problem(file, line, f"{label}: {changed}"))
        subdomain, difficulty = self.metadata(own or OwnMeta(), resource, file)
        self.items.append(
            ForeignItem(
                file=file,
                line=line,
                source_ref=_attr(root, "identifier") or _attr(root, "title"),
                stem=stem,
                options=tuple(options),
                answer=ids.index(correct),
                rationales=tuple(rationales),
                general_feedback="\n\n".join(general),
                subdomain=subdomain,
                difficulty=difficulty,
                references=references,
            )
        )

    def metadata(
        self, own: OwnMeta, resource: _Resource | None, file: str
    ) -> tuple[str | None, str | None]:
        """The sub-domain and difficulty the item or its manifest entry names, if any."""
        subdomain: str | None = None
        own_sub = own.value("subdomain")
        values = ([own_sub] if own_sub else []) + (resource.values if resource else [])
        unknown: str | None = None
        for value in values:
            found = subdomain_in(value, self.blueprint, what="QTI metadata")
            if found.subdomain:
                subdomain = found.subdomain
                break
            unknown = unknown or found.warning
        if subdomain is None and unknown:
            # An unknown code in the manifest is reported at its resource there.
            where, line = (resource.manifest, resource.line) if resource else (file, 1)
            self.warnings.append(Problem(where, line, unknown))
        level = own.value("difficulty").lower()
        if not level and resource:
            level = resource.difficulty
        return subdomain, (FROM_LOM_DIFFICULTY.get(level) or None)


def _manifest_resource(
    element: ET.Element, line: int, file: str, problems: list[Problem]
) -> _Resource | None:
    """A manifest's ``<resource>`` as an item to read, or None (not an item, or a bad href)."""
    kind = (element.get("type") or "").strip().lower()
    if not kind.startswith("imsqti_item_xml"):
        return None  # tests, stimuli, images: not items
    href = (element.get("href") or "").strip()
    if not href:
        first_file = next((c for c in element if local_name(c.tag) == "file"), None)
        href = (first_file.get("href") or "").strip() if first_file is not None else ""
    safe = safe_member_name(href)
    if safe is None:
        problems.append(
            Problem(file, line, f"resource href {href!r} is missing or leaves the package")
        )
        return None
    metadata = next((c for c in element if local_name(c.tag) == "metadata"), None)
    return _Resource(safe, line, file, _metadata_values(metadata), _lom_difficulty(metadata))


def parse_foreign(data: bytes, *, filename: str, blueprint: Blueprint) -> ForeignParsed:
    """Read QTI 2.1 or 3.0 choice items: one item's XML or a content package (zip).

    Never raises on bad input; a syntax error anywhere imports nothing.
    """
    reader = _ForeignReader(blueprint)
    if is_zip(data):
        members, problems = read_zip(data, filename)
        if problems:
            return ForeignParsed((), (), tuple(problems))
        manifest = members.get(MANIFEST)
        resources: list[_Resource]
        if manifest is None:
            reader.warnings.append(
                Problem(filename, 1, f"no {MANIFEST}: every .xml file in the zip is read")
            )
            resources = unlisted(members, _Resource)
        else:
            manifest_file = f"{filename}/{MANIFEST}"
            resources = []  # filled as the manifest is parsed

            def collect(
                _parent: ET.Element, element: ET.Element, lines: dict[ET.Element, int]
            ) -> None:
                # Each child of <resources> is read as it is parsed, then dropped.
                if local_name(element.tag) != "resource":
                    return
                line = lines.get(element, 1)
                found = _manifest_resource(element, line, manifest_file, reader.problems)
                if found is not None:
                    resources.append(found)

            bad = decode_text(manifest, manifest_file)[1]  # checked only: not kept
            if bad is None:
                _xml, bad = parse_xml(
                    manifest, manifest_file, on_element=collect, streamed="resources"
                )
            if bad is not None:
                return ForeignParsed((), (), (bad,))
        has_manifest = manifest is not None
        del manifest  # up to 64 MB: read, not kept
        read_members(
            members,
            filename,
            resources,
            listed=has_manifest,
            read=reader.read,
            problems=reader.problems,
            kind="QTI items",
        )
    elif data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        reader.read(data, filename, None)
    else:
        _text, bad = decode_text(data, filename)
        reader.problems.append(
            bad
            or Problem(
                filename,
                1,
                "not QTI: neither a content package (a zip with imsmanifest.xml) nor an item's "
                "XML (<assessmentItem> or <qti-assessment-item>)",
            )
        )
    if reader.problems:
        return ForeignParsed((), tuple(reader.warnings), tuple(reader.problems))
    return ForeignParsed(tuple(reader.items), tuple(reader.warnings), ())
