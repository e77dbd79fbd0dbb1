"""The bank's own YAML format, written: one file per sub-domain, as question_bank/ lays it out.

Reading YAML is the loader's job (``question_bank.loader``); this module only writes what
the loader reads back unchanged. Multi-line texts use literal block style where YAML allows
it, and PyYAML quotes anything that would otherwise read as another type (``yes``, ``1.0``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import yaml

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats._common import sorted_items, write_zip

ITEMS_DIR = "items"
BLUEPRINT_FILE = "blueprint.yaml"
HEADER = "# Exported from the AAISM exam engine; format: question_bank/README.md.\n"


class _Dumper(yaml.SafeDumper):
    """Safe dumper that indents lists under their key and writes multi-line text as ``|``."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


# YAML reads these as line breaks, yet PyYAML may write them raw in plain or block text
# (then they come back as spaces); double quotes escape them (\N, \L, \P).
UNICODE_BREAKS = ("\x85", "\u2028", "\u2029")


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if any(mark in value for mark in UNICODE_BREAKS):
        style = '"'
    elif "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def item_mapping(item: ItemRecord) -> dict[str, object]:
    """An item as the loader's fields (the sub-domain is the file's)."""
    data: dict[str, object] = {
        "key": item.key,
        "difficulty": item.difficulty,
        "stem": item.stem,
        "options": dict(zip("ABCD", item.options, strict=True)),
        "answer": item.answer_label,
        "rationale": dict(zip("ABCD", item.rationales, strict=True)),
        "references": list(item.references),
    }
    if item.enemies:
        data["enemies"] = list(item.enemies)
    if item.as_of is not None:
        data["as_of"] = item.as_of.isoformat()
    if item.source_ref:
        data["source_ref"] = item.source_ref
    return data


def subdomain_file(subdomain: str, items: Sequence[ItemRecord]) -> str:
    """One sub-domain file: ``subdomain:`` and its ``items:`` in key order."""
    document = {"subdomain": subdomain, "items": [item_mapping(i) for i in sorted_items(items)]}
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=96,
        default_flow_style=False,
    )
    return HEADER + body


def files(items: Sequence[ItemRecord]) -> dict[str, str]:
    """``{"items/D1-A.yaml": text, ...}``: one file per sub-domain that has items."""
    by_subdomain: dict[str, list[ItemRecord]] = defaultdict(list)
    for item in items:
        by_subdomain[item.subdomain].append(item)
    return {
        f"{ITEMS_DIR}/{code}.yaml": subdomain_file(code, group)
        for code, group in sorted(by_subdomain.items())
    }


def write(items: Sequence[ItemRecord], blueprint_text: str | None = None) -> bytes:
    """A zip laid out as a bank directory: ``blueprint.yaml`` (when given) and ``items/``."""
    contents: Mapping[str, str] = files(items)
    archive: dict[str, bytes] = {}
    if blueprint_text is not None:
        archive[BLUEPRINT_FILE] = blueprint_text.encode("utf-8")
    archive.update({name: text.encode("utf-8") for name, text in contents.items()})
    return write_zip(archive)
