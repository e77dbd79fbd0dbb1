"""The QTI reader's manifest and item rules, each pinned by input where only that rule decides."""

from __future__ import annotations

import dataclasses
import io
import zipfile

from exam_engine.domain.formats import qti
from tests.support.bundled import bundled_blueprint
from tests.unit import formats_golden as golden_items

FILE = "m.zip"
ITEM = "items/D1-A-001.xml"


def own_item(*dropped: str) -> str:
    """The golden item as this engine writes it, less the named fields of its metadata."""
    return golden_items.without_meta(qti.item_xml(golden_items.SIMPLE).decode(), *dropped)


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
    item = own_item().replace('class="aaism-references"', 'class="refs"')
    parsed = parse({"imsmanifest.xml": manifest(resource(f' href="{ITEM}"', lom)), ITEM: item})
    assert parsed.problems == ()
    assert parsed.items[0].references == ("First",)


# --- items --------------------------------------------------------------------------------

INLINE_B = (
    '<qti-feedback-inline outcome-identifier="FEEDBACK" identifier="B" show-hide="show">'
    "r2</qti-feedback-inline>"
)
DECLARATION = '<qti-response-declaration identifier="RESPONSE"'


def read_alone(item: str, filename: str = "one.xml") -> qti.Parsed:
    return qti.parse(item.encode(), filename=filename, blueprint=bundled_blueprint())


def test_a_key_split_by_markup_in_the_manifest_is_read_whole() -> None:
    lom = (
        "<metadata><lom:lom><lom:general><lom:identifier>"
        "<lom:entry>D1-A-<lom:x>001</lom:x></lom:entry>"
        "</lom:identifier></lom:general></lom:lom></metadata>"
    )
    item = own_item("key").replace(' identifier="D1-A-001"', ' identifier="tool-id"', 1)
    parsed = parse({"imsmanifest.xml": manifest(resource(f' href="{ITEM}"', lom)), ITEM: item})
    assert parsed.problems == ()
    assert [i.key for i in parsed.items] == ["D1-A-001"]


def test_a_qti2_item_file_is_skipped_with_its_file_and_line() -> None:
    data = '<?xml version="1.0"?>\n\n<assessmentItem identifier="x"/>'
    parsed = read_alone(data, "old.xml")
    assert reasons(parsed.warnings) == [
        "old.xml:3: skipped: a QTI 2.x assessmentItem (only QTI 3.0 is read)"
    ]
    assert parsed.problems == ()


def test_the_answer_comes_from_the_declaration_the_interaction_names() -> None:
    second = (
        '<qti-response-declaration identifier="R2" cardinality="single" base-type="identifier">'
        "<qti-correct-response><qti-value>C</qti-value></qti-correct-response>"
        "</qti-response-declaration>\n  "
    )
    item = (
        own_item()
        .replace('response-identifier="RESPONSE"', 'response-identifier="R2"')
        .replace(DECLARATION, second + DECLARATION)
    )
    parsed = read_alone(item)
    assert parsed.problems == ()
    assert parsed.items[0].answer == 2


def test_an_interaction_naming_no_declaration_has_no_correct_response() -> None:
    item = own_item().replace('response-identifier="RESPONSE"', 'response-identifier="OTHER"')
    parsed = read_alone(item)
    assert reasons(parsed.warnings) == [
        "one.xml:2: item 'D1-A-001' skipped: no correct response is declared"
    ]


def test_a_choice_without_identifier_shows_as_empty_in_the_problem() -> None:
    item = (
        own_item()
        .replace('<qti-simple-choice identifier="C">', "<qti-simple-choice>")
        .replace("<qti-value>A</qti-value>", "<qti-value>Z</qti-value>")
    )
    assert reasons(read_alone(item).problems) == [
        "one.xml:3: item 'D1-A-001': the correct response 'Z' is not one of the choices (A, B, , D)"
    ]


def test_a_body_without_interaction_is_skipped_saying_so() -> None:
    item_start = own_item()
    start = item_start.index("    <qti-choice-interaction")
    end = item_start.index("</qti-choice-interaction>\n") + len("</qti-choice-interaction>\n")
    item = item_start[:start] + item_start[end:]
    assert reasons(read_alone(item).warnings) == [
        "one.xml:2: item 'D1-A-001' skipped: it has no interaction; the engine reads one "
        "qti-choice-interaction"
    ]


def test_rubrics_in_the_body_and_the_prompt_are_not_content() -> None:
    rubric = '<qti-rubric-block view="scorer"><p>Scorer note</p></qti-rubric-block>'
    prompt = f"<qti-prompt>Pick one.{rubric}</qti-prompt>"
    item = (
        own_item()
        .replace('<div class="aaism-stem">', rubric + '<div class="aaism-stem">')
        .replace('shuffle="false">', 'shuffle="false">' + prompt)
    )
    parsed = read_alone(item)
    assert parsed.problems == ()
    assert parsed.items[0].stem == "Which comes FIRST?\n\nPick one."


def test_a_feedback_block_gives_only_its_content_body_and_its_own_line() -> None:
    block = (
        '\n    <qti-feedback-block outcome-identifier="FEEDBACK" identifier="B" show-hide="show">'
        "<qti-content-body>Because B</qti-content-body>not this</qti-feedback-block>"
    )
    item = (
        own_item()
        .replace(INLINE_B, "")
        .replace("</qti-choice-interaction>", "</qti-choice-interaction>" + block)
    )
    parsed = read_alone(item)
    assert parsed.problems == ()
    (read,) = parsed.items
    assert read.rationales[1] == "Because B"
    assert read.field_lines["rationale.B"] == 23


def test_a_choice_without_feedback_is_a_missing_rationale() -> None:
    parsed = read_alone(own_item().replace(INLINE_B, ""))
    assert reasons(parsed.problems) == [
        "one.xml:2: item D1-A-001: rationale missing for B: give one for A, B, C and D"
    ]


def test_references_keep_their_spacing_verbatim() -> None:
    item = dataclasses.replace(golden_items.SIMPLE, references=("NIST  AI   RMF",))
    parsed = read_alone(qti.item_xml(item).decode())
    assert parsed.items[0].references == ("NIST  AI   RMF",)


def test_a_dtd_is_refused_with_the_whole_reason_at_its_line() -> None:
    data = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<x>&a;</x>'
    assert reasons(read_alone(data, "e.xml").problems) == [
        "e.xml:2: refused: the XML declares a DTD or entities (DTDForbidden); QTI needs "
        "neither, and entity expansion (billion laughs) or external entities (XXE) are "
        "attacks, so such files are never read"
    ]


def test_only_a_bom_and_whitespace_may_precede_an_item_document() -> None:
    parsed = read_alone("X" + own_item(), "x.xml")
    assert reasons(parsed.problems) == [
        "x.xml:1: not a QTI 3.0 content package (a zip with imsmanifest.xml) or a "
        "qti-assessment-item XML file"
    ]


def test_a_malformed_manifest_is_one_problem_and_no_warning() -> None:
    parsed = parse({"imsmanifest.xml": "<manifest>", ITEM: own_item()})
    assert parsed.warnings == ()
    assert parsed.items == ()
    assert len(parsed.problems) == 1
    assert str(parsed.problems[0]).startswith(f"{FILE}/imsmanifest.xml:1: XML syntax error: ")


def test_a_listed_file_missing_from_the_zip_does_not_stop_the_next() -> None:
    listed = resource(' href="items/gone.xml"') + resource(f' href="{ITEM}"')
    parsed = parse({"imsmanifest.xml": manifest(listed), ITEM: own_item()})
    assert reasons(parsed.problems) == [
        f"{FILE}/imsmanifest.xml:5: resource 'items/gone.xml' is not in the zip"
    ]
    assert [item.key for item in parsed.items] == ["D1-A-001"]


def test_a_choice_without_text_still_stays_on_one_line() -> None:
    # Whitespace inside a choice is content: a choice holding only markup is not indented.
    item = dataclasses.replace(golden_items.SIMPLE, options=("\n", "b", "c", "d"))
    lines = qti.item_xml(item).decode().splitlines()
    assert lines[17] == (
        '      <qti-simple-choice identifier="A"><br/><qti-feedback-inline '
        'outcome-identifier="FEEDBACK" identifier="A" show-hide="show">r1</qti-feedback-inline>'
        "</qti-simple-choice>"
    )


def test_markup_in_the_prompt_and_rubrics_in_feedback_are_handled_like_the_stem() -> None:
    block = (
        '\n    <qti-feedback-block outcome-identifier="FEEDBACK" identifier="B" show-hide="show">'
        "<qti-content-body>Because <b>B</b><qti-rubric-block>hidden</qti-rubric-block>"
        "</qti-content-body></qti-feedback-block>"
    )
    item = (
        own_item()
        .replace(INLINE_B, "")
        .replace("</qti-choice-interaction>", "</qti-choice-interaction>" + block)
        .replace('shuffle="false">', 'shuffle="false"><qti-prompt>Pick <b>one</b>.</qti-prompt>')
    )
    parsed = read_alone(item)
    assert parsed.problems == ()
    (read,) = parsed.items
    assert read.stem == "Which comes FIRST?\n\nPick **one**."
    assert read.rationales[1] == "Because **B**"
