"""The QTI reader's manifest rules, each pinned by a package where only that rule decides."""

from __future__ import annotations

import io
import zipfile

from exam_engine.domain.formats import qti
from tests.support.bundled import bundled_blueprint
from tests.unit import formats_golden as golden_items

FILE = "m.zip"
ITEM = "items/D1-A-001.xml"


def own_item(*dropped: str) -> str:
    """The golden item as this engine writes it, less the named data-aaism- attributes."""
    text = qti.item_xml(golden_items.SIMPLE).decode()
    for name in dropped:
        value = {"domain": "D1", "subdomain": "D1-A", "key": "D1-A-001", "difficulty": "medium"}
        text = text.replace(f' data-aaism-{name}="{value[name]}"', "")
    return text


def manifest(resources: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"\n'
        '    xmlns:lom="http://ltsc.ieee.org/xsd/LOM">\n'
        "  <resources>\n"
        f"{resources}"
        "  </resources>\n"
        "</manifest>\n"
    )


def resource(attrs: str, inner: str = "") -> str:
    return f'    <resource type="imsqti_item_xmlv3p0"{attrs}>{inner}</resource>\n'


def parse(files: dict[str, str]) -> qti.Parsed:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return qti.parse(buffer.getvalue(), filename=FILE, blueprint=bundled_blueprint())


def reasons(found) -> list[str]:
    return [str(p) for p in found]


def test_the_resource_href_wins_over_its_file_element() -> None:
    listed = resource(f' href="{ITEM}"', '<file href="elsewhere.xml"/>')
    parsed = parse({"imsmanifest.xml": manifest(listed), ITEM: own_item()})
    assert parsed.problems == ()
    assert parsed.warnings == ()
    assert [item.key for item in parsed.items] == ["D1-A-001"]


def test_an_entry_without_taxa_leaves_the_sub_domain_to_the_key_at_the_resource_line() -> None:
    listed = resource(f' href="{ITEM}"')
    parsed = parse({"imsmanifest.xml": manifest(listed), ITEM: own_item("domain", "subdomain")})
    assert parsed.problems == ()
    assert parsed.warnings == ()
    (item,) = parsed.items
    assert (item.subdomain, item.domain, item.line_of("subdomain")) == ("D1-A", "D1", 5)


def test_an_item_without_any_key_is_a_problem_not_a_made_up_key() -> None:
    item = own_item("key").replace(' identifier="D1-A-001"', "", 1)
    parsed = parse({ITEM: item})
    assert reasons(parsed.problems) == [f"{FILE}/{ITEM}:2: item: key is empty"]


def test_a_resource_with_neither_href_nor_file_is_a_problem_naming_the_empty_href() -> None:
    parsed = parse({"imsmanifest.xml": manifest(resource("")), ITEM: own_item()})
    assert reasons(parsed.problems) == [
        f"{FILE}/imsmanifest.xml:5: resource href '' is missing or leaves the package"
    ]


def test_a_bad_href_skips_only_its_own_resource() -> None:
    listed = resource(' href="../escape.xml"') + resource(f' href="{ITEM}"')
    parsed = parse({"imsmanifest.xml": manifest(listed), ITEM: own_item()})
    assert reasons(parsed.problems) == [
        f"{FILE}/imsmanifest.xml:5: resource href '../escape.xml' is missing or leaves the package"
    ]
    assert [item.key for item in parsed.items] == ["D1-A-001"]


def test_taxa_of_every_taxon_path_count_the_domain_from_the_first() -> None:
    lom = (
        "<metadata><lom:lom><lom:classification>"
        "<lom:taxonPath><lom:taxon><lom:id>D2</lom:id></lom:taxon></lom:taxonPath>"
        "<lom:taxonPath><lom:taxon><lom:id>D1-A</lom:id></lom:taxon></lom:taxonPath>"
        "</lom:classification></lom:lom></metadata>"
    )
    listed = resource(f' href="{ITEM}"', lom)
    parsed = parse({"imsmanifest.xml": manifest(listed), ITEM: own_item("domain", "subdomain")})
    assert reasons(parsed.problems) == [
        f"{FILE}/{ITEM}:5: item 'D1-A-001': domain 'D2' does not match sub-domain 'D1-A', "
        "which is in D1"
    ]


def test_a_reference_is_the_first_string_of_its_description() -> None:
    lom = (
        "<metadata><lom:lom><lom:relation><lom:kind><lom:value>references</lom:value></lom:kind>"
        "<lom:resource><lom:description><lom:string>First</lom:string>"
        "<lom:string>Second</lom:string></lom:description></lom:resource></lom:relation>"
        "</lom:lom></metadata>"
    )
    item = own_item().replace('data-aaism="references"', 'class="refs"')
    parsed = parse({"imsmanifest.xml": manifest(resource(f' href="{ITEM}"', lom)), ITEM: item})
    assert parsed.problems == ()
    assert parsed.items[0].references == ("First",)
