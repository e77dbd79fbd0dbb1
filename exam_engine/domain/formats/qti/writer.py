"""Writing QTI 3.0: one item document per item, and the manifest with LOM metadata."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.errors import BlueprintError
from exam_engine.domain.formats._common import (
    XML_ILLEGAL,
    ExportError,
    item_texts,
    sorted_items,
    write_zip,
)
from exam_engine.domain.formats.qti.names import (
    _FILE_SAFE,
    CP_NS,
    CP_XSD,
    ITEM_TYPE,
    LOM_DIFFICULTY,
    LOM_NS,
    LOM_XSD,
    MANIFEST,
    QTI_NS,
    QTI_XSD,
    XSI_NS,
)
from exam_engine.domain.formats.qti.own_meta import META_CLASS, REFERENCES_CLASS

# --- writing ------------------------------------------------------------------------------


@dataclass
class _X:
    """An element to serialise; ``mixed`` elements hold text and are written on one line."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_X | str] = field(default_factory=list)
    mixed: bool = False


def _escape_text(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _escape_attr(value: str) -> str:
    return _escape_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _open_tag(node: _X, close: bool) -> str:
    attrs = "".join(f' {name}="{_escape_attr(value)}"' for name, value in node.attrs.items())
    return f"<{node.tag}{attrs}{'/' if close else ''}>"


def _inline(node: _X) -> str:
    if not node.children:
        return _open_tag(node, True)
    inner = "".join(
        _escape_text(child) if isinstance(child, str) else _inline(child) for child in node.children
    )
    return f"{_open_tag(node, False)}{inner}</{node.tag}>"


def _render(node: _X, depth: int, out: list[str]) -> None:
    pad = "  " * depth
    if node.mixed or not node.children or any(isinstance(c, str) for c in node.children):
        out.append(pad + _inline(node) + "\n")
        return
    out.append(pad + _open_tag(node, False) + "\n")
    for child in node.children:
        assert isinstance(child, _X)
        _render(child, depth + 1, out)
    out.append(f"{pad}</{node.tag}>\n")


def _document(root: _X) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _render(root, 0, out)
    return "".join(out).encode("utf-8")


def _lines(text: str) -> list[_X | str]:
    """Inline content for a text: newlines become ``<br/>``."""
    parts: list[_X | str] = []
    for index, segment in enumerate(text.split("\n")):
        if index:
            parts.append(_X("br"))
        if segment:
            parts.append(segment)
    return parts


def _paragraphs(text: str) -> list[_X | str]:
    """Block content for a text: blank lines separate ``<p>`` elements."""
    return [_X("p", children=_lines(block), mixed=True) for block in text.split("\n\n")]


def _el(tag: str, *children: _X | str, **attrs: str) -> _X:
    return _X(tag, {k.replace("_", "-"): v for k, v in attrs.items()}, list(children))


def _check_xml_text(item: ItemRecord) -> None:
    for name, text in item_texts(item):
        match = XML_ILLEGAL.search(text)
        if match:
            raise ExportError(
                f"item {item.key}: {name} holds the character U+{ord(match.group()):04X}, "
                "which XML (and so QTI) cannot carry; remove it and export again"
            )


def _metadata(item: ItemRecord) -> _X:
    """The engine's metadata where the schema allows it: an author-view rubric (own_meta)."""
    fields = [
        ("key", item.key),
        ("domain", item.domain),
        ("subdomain", item.subdomain),
        ("difficulty", item.difficulty),
        *(("enemy", enemy) for enemy in item.enemies),
    ]
    if item.as_of is not None:
        fields.append(("as-of", item.as_of.isoformat()))
    if item.source_ref:
        fields.append(("source", item.source_ref))
    pairs: list[_X | str] = []
    for name, value in fields:
        pairs += [_X("dt", children=[name]), _X("dd", children=[value])]
    return _X(
        "qti-rubric-block",
        {"class": META_CLASS, "use": "instructions", "view": "author"},
        [_X("qti-content-body", children=[_X("dl", children=pairs)])],
    )


def _references(item: ItemRecord) -> tuple[list[_X], list[_X], list[_X]]:
    """The references' outcome, its setting and the modal feedback listing them.

    All three are left out for an item without references: an HTML list needs an entry.
    """
    if not item.references:
        return [], [], []
    listing = _X(
        "ul",
        {"class": REFERENCES_CLASS},
        [_X("li", children=_lines(ref), mixed=True) for ref in item.references],
        mixed=True,
    )
    declaration = _el(
        "qti-outcome-declaration",
        identifier="SHOW_REFERENCES",
        cardinality="single",
        base_type="identifier",
    )
    setting = _el(
        "qti-set-outcome-value",
        _X("qti-base-value", {"base-type": "identifier"}, ["REFERENCES"]),
        identifier="SHOW_REFERENCES",
    )
    feedback = _X(
        "qti-modal-feedback",
        {
            "outcome-identifier": "SHOW_REFERENCES",
            "identifier": "REFERENCES",
            "show-hide": "show",
            "title": "References",
        },
        [_X("qti-content-body", children=[listing])],
    )
    return [declaration], [setting], [feedback]


def item_xml(item: ItemRecord) -> bytes:
    """One item as a QTI 3.0 ``qti-assessment-item`` document."""
    _check_xml_text(item)
    choices: list[_X | str] = []
    for index, option in enumerate(item.options):
        label = "ABCD"[index]
        feedback = _X(
            "qti-feedback-inline",
            {"outcome-identifier": "FEEDBACK", "identifier": label, "show-hide": "show"},
            _lines(item.rationales[index]),
            mixed=True,
        )
        choices.append(
            _X("qti-simple-choice", {"identifier": label}, [*_lines(option), feedback], True)
        )
    shown, show, modal = _references(item)
    root = _X(
        "qti-assessment-item",
        {
            "xmlns": QTI_NS,
            "xmlns:xsi": XSI_NS,
            "xsi:schemaLocation": f"{QTI_NS} {QTI_XSD}",
            "identifier": item.key,
            "title": item.key,
            "adaptive": "false",
            "time-dependent": "false",
            "xml:lang": "en",
        },
        [
            _el(
                "qti-response-declaration",
                _el("qti-correct-response", _X("qti-value", children=[item.answer_label])),
                identifier="RESPONSE",
                cardinality="single",
                base_type="identifier",
            ),
            _el(
                "qti-outcome-declaration",
                _el("qti-default-value", _X("qti-value", children=["0"])),
                identifier="SCORE",
                cardinality="single",
                base_type="float",
            ),
            _el(
                "qti-outcome-declaration",
                identifier="FEEDBACK",
                cardinality="single",
                base_type="identifier",
            ),
            *shown,
            _X(
                "qti-item-body",
                children=[
                    _X("div", {"class": "aaism-stem"}, _paragraphs(item.stem), mixed=True),
                    _X(
                        "qti-choice-interaction",
                        {"response-identifier": "RESPONSE", "max-choices": "1", "shuffle": "false"},
                        choices,
                    ),
                    _metadata(item),
                ],
            ),
            _el(
                "qti-response-processing",
                _el(
                    "qti-response-condition",
                    _el(
                        "qti-response-if",
                        _el(
                            "qti-match",
                            _el("qti-variable", identifier="RESPONSE"),
                            _el("qti-correct", identifier="RESPONSE"),
                        ),
                        _el(
                            "qti-set-outcome-value",
                            _X("qti-base-value", {"base-type": "float"}, ["1"]),
                            identifier="SCORE",
                        ),
                    ),
                ),
                _el(
                    "qti-set-outcome-value",
                    _el("qti-variable", identifier="RESPONSE"),
                    identifier="FEEDBACK",
                ),
                *show,
            ),
            *modal,
        ],
    )
    return _document(root)


def _lom_string(tag: str, text: str) -> _X:
    return _X(f"imsmd:{tag}", children=[_X("imsmd:string", {"language": "en"}, [text])])


def _vocabulary(tag: str, value: str) -> _X:
    return _X(
        f"imsmd:{tag}",
        children=[_X("imsmd:source", children=["LOMv1.0"]), _X("imsmd:value", children=[value])],
    )


def _lom(item: ItemRecord, blueprint: Blueprint) -> _X:
    try:
        sub_title = blueprint.subdomain(item.subdomain).title
        domain_title = blueprint.domain(item.domain).title
    except BlueprintError:
        sub_title, domain_title = item.subdomain, item.domain
    relations = [
        _X(
            "imsmd:relation",
            children=[
                _vocabulary("kind", "references"),
                _X("imsmd:resource", children=[_lom_string("description", ref)]),
            ],
        )
        for ref in item.references
    ]
    return _X(
        "imsmd:lom",
        children=[
            _X(
                "imsmd:general",
                children=[
                    _X(
                        "imsmd:identifier",
                        children=[
                            _X("imsmd:catalog", children=[blueprint.name]),
                            _X("imsmd:entry", children=[item.key]),
                        ],
                    ),
                    _lom_string("title", item.key),
                ],
            ),
            _X(
                "imsmd:educational",
                children=[_vocabulary("difficulty", LOM_DIFFICULTY[item.difficulty])],
            ),
            *relations,
            _X(
                "imsmd:classification",
                children=[
                    _vocabulary("purpose", "discipline"),
                    _X(
                        "imsmd:taxonPath",
                        children=[
                            _lom_string("source", f"{blueprint.title} ({blueprint.name})"),
                            _X(
                                "imsmd:taxon",
                                children=[
                                    _X("imsmd:id", children=[item.domain]),
                                    _lom_string("entry", domain_title),
                                ],
                            ),
                            _X(
                                "imsmd:taxon",
                                children=[
                                    _X("imsmd:id", children=[item.subdomain]),
                                    _lom_string("entry", sub_title),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )


def item_path(key: str) -> str:
    """Where an item's XML lives in the package."""
    return f"items/{_FILE_SAFE.sub('_', key)}.xml"


def manifest_xml(items: Sequence[ItemRecord], blueprint: Blueprint) -> bytes:
    """The package's ``imsmanifest.xml``: one item resource each, with LOM metadata."""
    resources = []
    for item in items:
        href = item_path(item.key)
        resources.append(
            _X(
                "resource",
                {
                    "identifier": f"item-{_FILE_SAFE.sub('_', item.key)}",
                    "type": ITEM_TYPE,
                    "href": href,
                },
                [_X("metadata", children=[_lom(item, blueprint)]), _X("file", {"href": href})],
            )
        )
    root = _X(
        "manifest",
        {
            "xmlns": CP_NS,
            "xmlns:imsmd": LOM_NS,
            "xmlns:xsi": XSI_NS,
            "xsi:schemaLocation": f"{CP_NS} {CP_XSD} {LOM_NS} {LOM_XSD}",
            "identifier": f"MANIFEST-{_FILE_SAFE.sub('_', blueprint.name)}-bank",
        },
        [
            _X(
                "metadata",
                children=[
                    _X("schema", children=["QTI Package"]),
                    _X("schemaversion", children=["3.0.0"]),
                ],
            ),
            _X("organizations"),
            _X("resources", children=list(resources)),
        ],
    )
    return _document(root)


def write(items: Sequence[ItemRecord], blueprint: Blueprint) -> bytes:
    """Write items as a QTI 3.0 content package (zip); raise ExportError for XML-illegal text."""
    ordered = sorted_items(items)
    files = {MANIFEST: manifest_xml(ordered, blueprint)}
    for item in ordered:
        files[item_path(item.key)] = item_xml(item)
    return write_zip(files)
