"""The engine's own metadata in its QTI items, where QTI 3.0's schema allows it.

``qti-item-body`` takes no attributes of a writer's own (its schema type has no attribute
wildcard), so the key, domain, sub-domain, difficulty, enemies and as-of date travel as an
author-view ``qti-rubric-block`` of class ``aaism-metadata`` at the end of the item body:
a ``dl`` of ``dt`` names and ``dd`` values, one ``enemy`` pair per enemy, and ``source``
(the ``source_ref``: the item's name in the tool it came from) when there is one. Candidates never
see an author-view rubric, and readers leave rubrics out of the stem. Items exported before
this carried the same values as ``data-aaism-*`` attributes of ``qti-item-body``; those are
still read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from exam_engine.domain.formats._markup import local_name
from exam_engine.domain.formats.qti.names import DATA

META_CLASS = "aaism-metadata"
REFERENCES_CLASS = "aaism-references"
# The names of the dl, in the order they are written; ``enemy`` repeats.
FIELDS = ("key", "domain", "subdomain", "difficulty", "enemy", "as-of", "source")


def _classes(element: ET.Element) -> list[str]:
    return (element.get("class") or "").split()


@dataclass
class OwnMeta:
    """The values found, each with the element it stands in (for message lines)."""

    found: dict[str, list[tuple[str, ET.Element]]] = field(default_factory=dict)

    def value(self, name: str) -> str:
        """The first value of ``name``, stripped; '' when absent."""
        values = self.found.get(name)
        return values[0][0].strip() if values else ""

    def values(self, name: str) -> list[str]:
        """Every non-blank value of ``name``, stripped."""
        return [v.strip() for v, _el in self.found.get(name, []) if v.strip()]

    def element(self, name: str) -> ET.Element | None:
        """The element holding the first value of ``name``, if any."""
        values = self.found.get(name)
        return values[0][1] if values else None


def _from_block(block: ET.Element) -> OwnMeta:
    meta = OwnMeta()
    for dl in block.iter():
        if local_name(dl.tag) != "dl":
            continue
        name = ""
        for child in dl:
            tag = local_name(child.tag)
            if tag == "dt":
                name = "".join(child.itertext()).strip()
            elif tag == "dd" and name:
                meta.found.setdefault(name, []).append(("".join(child.itertext()), child))
    return meta


def _from_attributes(body: ET.Element) -> OwnMeta:
    meta = OwnMeta()
    for name in FIELDS:
        attr = "enemies" if name == "enemy" else name
        value = body.get(f"{DATA}{attr}")
        if value is None:
            continue
        parts = value.split() if name == "enemy" else [value]
        meta.found[name] = [(part, body) for part in parts]
    return meta


def own_meta(body: ET.Element) -> OwnMeta | None:
    """The engine's metadata of an item body, or None for an item another tool wrote."""
    for child in body:
        if local_name(child.tag) == "qti-rubric-block" and META_CLASS in _classes(child):
            return _from_block(child)
    if body.get(f"{DATA}key") is not None:
        return _from_attributes(body)
    return None


def is_references_list(element: ET.Element) -> bool:
    """True for the ``ul`` of references the engine writes into its modal feedback."""
    if local_name(element.tag) != "ul":
        return False
    return REFERENCES_CLASS in _classes(element) or element.get("data-aaism") == "references"
