"""Exported QTI 3.0 against the schema's rules that can be checked without the XSD.

NOT a validation against 1EdTech's XSD: no package found on PyPI, npm or Debian ships it
(searched 2026-12-06), and 1EdTech's site cannot be reached from the machines that run the
tests. What is checked is a hand-written subset of the schema's rules for the elements the
exporter writes: the order of ``qti-assessment-item``'s children, required attributes and
their values (NCName identifiers, enumerations, booleans), which attributes
``qti-item-body`` takes (its type has no attribute wildcard, so no ``data-*`` of a
writer's own), the content of choices, rubrics, feedback and lists, identifiers that refer
to declarations, and the manifest's resources.
"""

from __future__ import annotations

import dataclasses
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from functools import lru_cache

import defusedxml.ElementTree as SafeET
import pytest

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats import qti
from question_bank import load_bank
from tests.support.bundled import bundled_blueprint
from tests.unit import formats_golden as golden_items

Q = f"{{{qti.QTI_NS}}}"
CP = f"{{{qti.CP_NS}}}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XSI_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
# xs:NCName for the ASCII names the exporter writes: no colon, no leading digit, '-' or '.'.
NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
BOOLEAN = {"true", "false", "1", "0"}
CARDINALITY = {"single", "multiple", "ordered", "record"}
BASE_TYPES = {
    "boolean", "directedPair", "duration", "file", "float", "identifier", "integer",
    "pair", "point", "string", "uri",
}  # fmt: skip
VIEWS = {"author", "candidate", "proctor", "scorer", "testConstructor", "tutor"}
RUBRIC_USES = {"instructions", "scoring", "navigation"}
# qti-assessment-item's sequence, in the schema's order (each may repeat unless in ONCE).
ITEM_CHILDREN = (
    "qti-context-declaration",
    "qti-response-declaration",
    "qti-outcome-declaration",
    "qti-template-declaration",
    "qti-template-processing",
    "qti-assessment-stimulus-ref",
    "qti-companion-materials-info",
    "qti-stylesheet",
    "qti-item-body",
    "qti-catalog-info",
    "qti-response-processing",
    "qti-modal-feedback",
)
ONCE = {
    "qti-template-processing",
    "qti-companion-materials-info",
    "qti-item-body",
    "qti-catalog-info",
    "qti-response-processing",
}
ITEM_ATTRS = {
    "identifier", "title", "label", "adaptive", "time-dependent", "tool-name",
    "tool-version", XML_LANG, XSI_LOCATION,
}  # fmt: skip
# ItemBody's attributes: no wildcard, so nothing else (data-catalog-idref is the one data-*).
BODY_ATTRS = {"id", "class", XML_LANG, "label", "dir", "data-catalog-idref"}
BODY_CHILDREN = {
    "qti-rubric-block", "qti-choice-interaction", "qti-feedback-block", "qti-template-block",
    "div", "p", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "address", "dl", "ol", "ul", "hr",
    "blockquote", "table", "article", "aside", "figure", "footer", "header", "nav", "section",
}  # fmt: skip


def local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _ncname(value: str | None) -> bool:
    return value is not None and NCNAME.fullmatch(value) is not None


def item_errors(document: bytes) -> list[str]:
    """Each rule of the subset that the item document breaks, as a short message."""
    root = SafeET.fromstring(document)
    errors: list[str] = []

    def need(ok: bool, message: str) -> None:
        if not ok:
            errors.append(message)

    for element in root.iter():
        need(element.tag.startswith(Q), f"<{element.tag}> is outside the QTI namespace")
        for name in element.attrib:
            foreign = name.startswith("{") and name not in (XML_LANG, XSI_LOCATION)
            need(not foreign, f"<{local(element)}> has the foreign attribute {name}")
    need(local(root) == "qti-assessment-item", "the root is not qti-assessment-item")
    need(_ncname(root.get("identifier")), "the item identifier is not an NCName")
    need(bool(root.get("title")), "the item has no title")
    need(root.get("time-dependent") in BOOLEAN, "time-dependent is missing or not a boolean")
    need(root.get("adaptive", "false") in BOOLEAN, "adaptive is not a boolean")
    extra = set(root.attrib) - ITEM_ATTRS
    need(not extra, f"qti-assessment-item has attributes the schema lacks: {sorted(extra)}")

    ranks = [ITEM_CHILDREN.index(local(c)) if local(c) in ITEM_CHILDREN else -1 for c in root]
    need(-1 not in ranks, "qti-assessment-item has a child the schema does not allow")
    need(ranks == sorted(ranks), "qti-assessment-item's children are out of the schema's order")
    for name in ONCE:
        need(len(root.findall(Q + name)) <= 1, f"{name} appears more than once")

    declared: dict[str, str] = {}
    for declaration in [*root.findall(Q + "qti-response-declaration"),
                        *root.findall(Q + "qti-outcome-declaration")]:  # fmt: skip
        identifier = declaration.get("identifier")
        need(_ncname(identifier), f"a declaration's identifier {identifier!r} is not an NCName")
        need(identifier not in declared, f"{identifier} is declared twice")
        declared[identifier or ""] = local(declaration)
        need(declaration.get("cardinality") in CARDINALITY, f"{identifier}: bad cardinality")
        base = declaration.get("base-type")
        need(base is None or base in BASE_TYPES, f"{identifier}: bad base-type {base!r}")

    def refers(identifier: str | None, kind: str, where: str) -> None:
        need(declared.get(identifier or "") == kind, f"{where} names {identifier!r}: no {kind}")

    body = root.find(Q + "qti-item-body")
    need(body is not None, "the item has no qti-item-body")
    if body is not None:
        extra = set(body.attrib) - BODY_ATTRS
        need(not extra, f"qti-item-body has attributes the schema lacks: {sorted(extra)}")
        for child in body:
            need(local(child) in BODY_CHILDREN, f"qti-item-body may not hold <{local(child)}>")

    for interaction in root.iter(Q + "qti-choice-interaction"):
        refers(interaction.get("response-identifier"), "qti-response-declaration", "interaction")
        need(interaction.get("max-choices", "1").isdigit(), "max-choices is not a count")
        need(interaction.get("shuffle", "false") in BOOLEAN, "shuffle is not a boolean")
        names = [local(c) for c in interaction]
        prompts = names.count("qti-prompt")
        need(prompts <= 1 and names[:prompts] == ["qti-prompt"] * prompts, "misplaced prompt")
        choices = interaction.findall(Q + "qti-simple-choice")
        need(
            len(choices) == len(names) - prompts >= 1,
            "the interaction holds more than a prompt and choices",
        )
        ids = [c.get("identifier") for c in choices]
        need(all(_ncname(i) for i in ids), f"a choice identifier is not an NCName: {ids}")
        need(len(set(ids)) == len(ids), f"choice identifiers repeat: {ids}")
        correct = root.findtext(f"{Q}qti-response-declaration/{Q}qti-correct-response/{Q}qti-value")
        need(correct in ids, f"the correct response {correct!r} is not a choice")

    for feedback in [*root.iter(Q + "qti-feedback-inline"), *root.iter(Q + "qti-modal-feedback")]:
        refers(feedback.get("outcome-identifier"), "qti-outcome-declaration", local(feedback))
        need(_ncname(feedback.get("identifier")), f"{local(feedback)} identifier not an NCName")
        need(feedback.get("show-hide") in ("show", "hide"), f"{local(feedback)}: bad show-hide")
    for modal in root.iter(Q + "qti-modal-feedback"):
        need([local(c) for c in modal] == ["qti-content-body"], "modal feedback lacks its body")
    for rubric in root.iter(Q + "qti-rubric-block"):
        need(rubric.get("use") in RUBRIC_USES, "a rubric's required use is missing or wrong")
        views = (rubric.get("view") or "").split()
        need(bool(views) and set(views) <= VIEWS, f"a rubric's view {views} is not the schema's")
        need(len(rubric.findall(Q + "qti-content-body")) == 1, "a rubric has no content body")
    for setting in root.iter(Q + "qti-set-outcome-value"):
        refers(setting.get("identifier"), "qti-outcome-declaration", "qti-set-outcome-value")
    for variable in [*root.iter(Q + "qti-variable"), *root.iter(Q + "qti-correct")]:
        need(variable.get("identifier") in declared, f"{local(variable)} names no declaration")
    for value in root.iter(Q + "qti-base-value"):
        need(value.get("base-type") in BASE_TYPES, "a qti-base-value has no valid base-type")
    for listing in [*root.iter(Q + "ul"), *root.iter(Q + "ol")]:
        items = [local(c) for c in listing]
        need(bool(items) and set(items) == {"li"}, f"a <{local(listing)}> without only <li>")
    for dl in root.iter(Q + "dl"):
        need({local(c) for c in dl} <= {"dt", "dd"}, "a <dl> holds other than <dt>/<dd>")
    return errors


def manifest_errors(document: bytes, members: set[str]) -> list[str]:
    """Each manifest rule of the subset that the package breaks."""
    root = SafeET.fromstring(document)
    errors: list[str] = []

    def need(ok: bool, message: str) -> None:
        if not ok:
            errors.append(message)

    need(root.tag == CP + "manifest", "the root is not the QTI 3.0 content package manifest")
    need(_ncname(root.get("identifier")), "the manifest identifier is not an NCName")
    names = [local(c) for c in root]
    need(names == ["metadata", "organizations", "resources"], f"manifest children: {names}")
    need(root.findtext(f"{CP}metadata/{CP}schema") == "QTI Package", "schema is not QTI Package")
    need(root.findtext(f"{CP}metadata/{CP}schemaversion") == "3.0.0", "schemaversion not 3.0.0")
    seen: set[str] = set()
    for resource in root.iter(CP + "resource"):
        identifier = resource.get("identifier") or ""
        need(_ncname(identifier) and identifier not in seen, f"resource id {identifier!r}")
        seen.add(identifier)
        need(resource.get("type") == qti.ITEM_TYPE, f"{identifier}: type is not an item's")
        href = resource.get("href")
        files = [f.get("href") for f in resource.findall(CP + "file")]
        need(href in files and href in members, f"{identifier}: href {href!r} is not its file")
        order = [local(c) for c in resource]
        need(order == sorted(order, key=["metadata", "file", "dependency"].index), "order")
    return errors


@lru_cache(maxsize=1)
def bundled_package() -> dict[str, bytes]:
    bank = load_bank()
    assert bank.ok
    data = qti.write(bank.items, bundled_blueprint())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_every_exported_item_of_the_bundled_bank_keeps_the_checked_rules() -> None:
    files = bundled_package()
    items = {name: data for name, data in files.items() if name.startswith("items/")}
    assert len(items) == len(load_bank().items) > 0
    broken = {name: item_errors(data) for name, data in items.items()}
    assert {name: errors for name, errors in broken.items() if errors} == {}


def test_the_bundled_manifest_keeps_the_checked_rules() -> None:
    files = bundled_package()
    assert manifest_errors(files[qti.MANIFEST], set(files)) == []


@pytest.mark.parametrize(
    "item",
    [
        *golden_items.ITEMS,
        dataclasses.replace(golden_items.SIMPLE, references=()),
        dataclasses.replace(golden_items.PLAIN, enemies=("D1-A-001", "D1-B-009")),
    ],
)
def test_awkward_items_keep_the_checked_rules(item: ItemRecord) -> None:
    assert item_errors(qti.item_xml(item)) == []


GOOD = qti.item_xml(golden_items.SIMPLE).decode()


@pytest.mark.parametrize(
    ("broken", "error"),
    [
        (
            GOOD.replace("<qti-item-body>", '<qti-item-body data-aaism-key="D1-A-001">'),
            "qti-item-body has attributes the schema lacks: ['data-aaism-key']",
        ),
        (
            re.sub(r"<ul class=\"aaism-references\">.*?</ul>", '<ul class="x"/>', GOOD),
            "a <ul> without only <li>",
        ),
        (GOOD.replace('identifier="D1-A-001"', 'identifier="1-A"', 1), "not an NCName"),
        (GOOD.replace(' time-dependent="false"', ""), "time-dependent is missing"),
        (GOOD.replace(' use="instructions"', ""), "a rubric's required use is missing"),
        (
            GOOD.replace('outcome-identifier="FEEDBACK" identifier="B"', 'outcome-identifier="X"'),
            "qti-feedback-inline names 'X': no qti-outcome-declaration",
        ),
        (
            GOOD.replace("<qti-value>A</qti-value>", "<qti-value>E</qti-value>"),
            "the correct response 'E' is not a choice",
        ),
    ],
)
def test_the_checks_catch_what_the_schema_refuses(broken: str, error: str) -> None:
    assert any(error in found for found in item_errors(broken.encode())), item_errors(
        broken.encode()
    )


def test_the_checks_catch_children_out_of_the_schemas_order() -> None:
    body_start = GOOD.index("  <qti-item-body>")
    body_end = GOOD.index("</qti-item-body>\n") + len("</qti-item-body>\n")
    processing_end = GOOD.index("</qti-response-processing>\n") + len(
        "</qti-response-processing>\n"
    )
    swapped = (
        GOOD[:body_start]
        + GOOD[body_end:processing_end]
        + GOOD[body_start:body_end]
        + GOOD[processing_end:]
    )
    assert "qti-assessment-item's children are out of the schema's order" in item_errors(
        swapped.encode()
    )
