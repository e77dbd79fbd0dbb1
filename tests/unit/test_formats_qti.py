"""QTI 3.0 packages: round trips, metadata in item and manifest, safe XML, foreign items."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from functools import lru_cache

import defusedxml.ElementTree as SafeET
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats import ExportError, qti
from exam_engine.domain.formats import _common as common
from question_bank import LoadedBank, load_bank
from tests.support.bundled import bundled_blueprint, bundled_item, bundled_subdomain
from tests.support.properties import examples
from tests.unit import formats_golden as golden_items

FILE = "bank.zip"
NS = {"qti": qti.QTI_NS, "cp": qti.CP_NS, "lom": qti.LOM_NS}


@lru_cache(maxsize=1)
def bundled() -> LoadedBank:
    bank = load_bank()
    assert bank.ok
    return bank


def parse(data: bytes, known_keys: tuple[str, ...] = (), filename: str = FILE) -> qti.Parsed:
    return qti.parse(data, filename=filename, blueprint=bundled_blueprint(), known_keys=known_keys)


def content(item: ItemRecord) -> tuple[object, ...]:
    return (item.domain, item.canonical_content())


def record(**changes: object) -> ItemRecord:
    base = bundled_item("D1-B-003")
    changes.setdefault("enemies", ())
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def package(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def reasons(found) -> list[str]:
    return [str(p) for p in found]


# --- export and round trips -----------------------------------------------------------------


@pytest.mark.whole_bank
def test_the_whole_bundled_bank_round_trips_exactly() -> None:
    bank = bundled()
    parsed = parse(qti.write(bank.items, bank.blueprint))
    assert parsed.problems == ()
    assert parsed.warnings == ()
    by_key = {item.key: item for item in parsed.items}
    assert len(by_key) == len(bank.items)
    for original in bank.items:
        assert content(by_key[original.key]) == content(original), original.key


def test_the_source_ref_travels_in_the_metadata_and_comes_back() -> None:
    item = record(source_ref="Moodle: SEC-RISK-07")
    files = members(qti.write([item], bundled_blueprint()))
    xml = files[f"items/{item.key}.xml"].decode()
    assert re.search(r"<dt>source</dt>\s*<dd>Moodle: SEC-RISK-07</dd>", xml), xml
    parsed = parse(qti.write([item], bundled_blueprint()))
    assert parsed.problems == ()
    (back,) = parsed.items
    assert back.source_ref == "Moodle: SEC-RISK-07"
    assert content(back) == content(item)
    # No source, no entry: the engine's own items carry none.
    plain = members(qti.write([record(source_ref="")], bundled_blueprint()))
    assert b"<dt>source</dt>" not in plain[f"items/{item.key}.xml"]


def test_the_package_is_an_ims_content_package_of_qti3_items() -> None:
    item = next(i for i in bundled_subdomain("D1-A") if i.enemies)
    files = members(qti.write([item], bundled_blueprint()))
    assert set(files) == {"imsmanifest.xml", f"items/{item.key}.xml"}
    manifest = SafeET.fromstring(files["imsmanifest.xml"])
    (resource,) = manifest.findall("cp:resources/cp:resource", NS)
    assert resource.get("type") == "imsqti_item_xmlv3p0"
    assert resource.get("href") == f"items/{item.key}.xml"
    assert resource.find("cp:file", NS).get("href") == f"items/{item.key}.xml"
    lom = resource.find("cp:metadata/lom:lom", NS)
    assert lom.findtext("lom:general/lom:identifier/lom:entry", namespaces=NS) == item.key
    level = lom.findtext("lom:educational/lom:difficulty/lom:value", namespaces=NS)
    assert level == qti.LOM_DIFFICULTY[item.difficulty]
    taxa = [t.text for t in lom.findall("lom:classification/lom:taxonPath/lom:taxon/lom:id", NS)]
    assert taxa == [item.domain, item.subdomain]
    refs = lom.findall("lom:relation/lom:resource/lom:description/lom:string", NS)
    assert [r.text for r in refs] == list(item.references)

    root = SafeET.fromstring(files[f"items/{item.key}.xml"])
    assert root.tag == f"{{{qti.QTI_NS}}}qti-assessment-item"
    assert root.get("identifier") == item.key
    body = root.find("qti:qti-item-body", NS)
    assert body.attrib == {}  # qti-item-body takes no attributes of a writer's own
    (rubric,) = body.findall("qti:qti-rubric-block", NS)
    assert (rubric.get("class"), rubric.get("view")) == ("aaism-metadata", "author")
    dl = rubric.find("qti:qti-content-body/qti:dl", NS)
    names = [dt.text for dt in dl.findall("qti:dt", NS)]
    values = [dd.text for dd in dl.findall("qti:dd", NS)]
    assert list(zip(names, values, strict=True)) == [
        ("key", item.key),
        ("domain", item.domain),
        ("subdomain", item.subdomain),
        ("difficulty", item.difficulty),
        *(("enemy", enemy) for enemy in item.enemies),
        *([("as-of", item.as_of.isoformat())] if item.as_of else []),
    ]
    interaction = body.find("qti:qti-choice-interaction", NS)
    assert interaction.get("max-choices") == "1"
    choices = interaction.findall("qti:qti-simple-choice", NS)
    assert [c.get("identifier") for c in choices] == ["A", "B", "C", "D"]
    for choice, rationale in zip(choices, item.rationales, strict=True):
        assert choice.find("qti:qti-feedback-inline", NS).text == rationale
    correct = root.findtext(
        "qti:qti-response-declaration/qti:qti-correct-response/qti:qti-value", namespaces=NS
    )
    assert correct == item.answer_label
    listed = root.findall("qti:qti-modal-feedback/qti:qti-content-body/qti:ul/qti:li", NS)
    assert [li.text for li in listed] == list(item.references)


def test_exports_are_reproducible() -> None:
    items = bundled_subdomain("D1-A")[:5]
    assert qti.write(items, bundled_blueprint()) == qti.write(items, bundled_blueprint())


def test_awkward_text_survives_xml() -> None:
    item = record(
        stem="A <b>tag</b> & an &amp; entity ]]> and\nnewline\n\n\nthree breaks\r\nand CR?",
        options=("  <![CDATA[x]]>", "quote \"q\" 's'", "tab\there", "trailing<br/>"),
        rationales=("a\n\nb", "c", "d", "e"),
        references=("R & D <1>", "two\nlines"),
    )
    parsed = parse(qti.write([item], bundled_blueprint()))
    assert parsed.problems == ()
    assert parsed.warnings == ()
    assert content(parsed.items[0]) == content(
        dataclasses.replace(item, options=("<![CDATA[x]]>", *item.options[1:]))
    )


def test_text_that_xml_cannot_carry_is_an_export_error() -> None:
    with pytest.raises(ExportError, match=r"item D1-B-003: options\.B holds the character U\+0007"):
        qti.write([record(options=("a", "b\x07", "c", "d"))], bundled_blueprint())


xml_texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)).filter(
        lambda c: not common.XML_ILLEGAL.match(c)
    ),
    min_size=1,
    max_size=40,
).filter(lambda t: t.strip() == t and t != "")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stem=xml_texts,
    options=st.lists(xml_texts, min_size=4, max_size=4),
    rationales=st.lists(xml_texts, min_size=4, max_size=4),
    references=st.lists(xml_texts, min_size=1, max_size=3),
    answer=st.integers(0, 3),
)
def test_any_item_text_round_trips(stem, options, rationales, references, answer) -> None:
    item = record(
        stem=stem,
        options=tuple(options),
        rationales=tuple(rationales),
        references=tuple(references),
        answer=answer,
    )
    parsed = parse(qti.write([item], bundled_blueprint()))
    assert parsed.problems == (), reasons(parsed.problems)
    assert content(parsed.items[0]) == content(item)


# --- metadata: the item and the manifest ----------------------------------------------------


def exported(item: ItemRecord | None = None) -> dict[str, bytes]:
    return members(qti.write([item or record()], bundled_blueprint()))


def test_a_single_item_file_reads_on_its_own() -> None:
    files = exported()
    parsed = parse(files["items/D1-B-003.xml"], filename="D1-B-003.xml")
    assert parsed.problems == ()
    assert content(parsed.items[0]) == content(record())


def test_metadata_falls_back_to_the_manifest() -> None:
    files = exported()
    item_xml = golden_items.without_meta(
        files["items/D1-B-003.xml"].decode(), "key", "domain", "subdomain", "difficulty"
    )
    item_xml = item_xml.replace('class="aaism-references"', 'class="refs"')
    item_xml = item_xml.replace('identifier="D1-B-003"', 'identifier="item-7"', 1)
    files["items/D1-B-003.xml"] = item_xml.encode()
    parsed = parse(package(files))
    assert parsed.problems == (), reasons(parsed.problems)
    item = parsed.items[0]
    assert (item.key, item.subdomain, item.difficulty) == ("D1-B-003", "D1-B", record().difficulty)
    assert item.references == record().references


def test_the_item_wins_over_a_disagreeing_manifest_with_a_warning() -> None:
    files = exported()
    manifest = files["imsmanifest.xml"].decode()
    level = qti.LOM_DIFFICULTY[record().difficulty]
    other = "difficult" if level != "difficult" else "easy"
    files["imsmanifest.xml"] = manifest.replace(
        f"<imsmd:value>{level}</imsmd:value>", f"<imsmd:value>{other}</imsmd:value>"
    ).encode()
    parsed = parse(package(files))
    assert parsed.items[0].difficulty == record().difficulty
    assert any("the manifest gives the difficulty" in w.reason for w in parsed.warnings)


def test_a_domain_that_disagrees_with_the_subdomain_is_a_problem() -> None:
    files = exported()
    item_xml = files["items/D1-B-003.xml"].decode()
    files["items/D1-B-003.xml"] = golden_items.with_meta(item_xml, "domain", "D3").encode()
    parsed = parse(package(files))
    assert any("domain 'D3' does not match sub-domain 'D1-B'" in p.reason for p in parsed.problems)


def test_enemies_may_name_keys_in_the_database() -> None:
    data = qti.write([record(enemies=("D1-B-040",))], bundled_blueprint())
    assert any("enemy 'D1-B-040'" in p.reason for p in parse(data).problems)
    assert parse(data, known_keys=("D1-B-040",)).items[0].enemies == ("D1-B-040",)


# --- foreign QTI 3.0 ----------------------------------------------------------------------

FOREIGN_ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
    identifier="D2-A-001" title="Red teaming" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response>
      <qti-value>choice_2</qti-value>
    </qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="FEEDBACK" cardinality="single" base-type="identifier"/>
  <qti-item-body>
    <p>An insurer deploys a <strong>claims</strong> model.</p>
    <qti-choice-interaction response-identifier="RESPONSE" shuffle="true" max-choices="1">
      <qti-prompt>Which step comes   FIRST?</qti-prompt>
      <qti-simple-choice identifier="choice_1">
        Run the attacks
        <qti-feedback-inline outcome-identifier="FEEDBACK" identifier="choice_1" show-hide="show">
          Attacks come after <em>scoping</em>.
        </qti-feedback-inline>
      </qti-simple-choice>
      <qti-simple-choice identifier="choice_2">Agree the rules of engagement
        <qti-feedback-inline outcome-identifier="FEEDBACK" identifier="choice_2" show-hide="show">
          Scope and safety first.</qti-feedback-inline></qti-simple-choice>
      <qti-simple-choice identifier="choice_3">Write the report</qti-simple-choice>
      <qti-simple-choice identifier="choice_4">Fix findings</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
  <qti-modal-feedback outcome-identifier="FEEDBACK" identifier="choice_3" show-hide="show">
    <qti-content-body><p>Reports come last.</p></qti-content-body>
  </qti-modal-feedback>
  <qti-feedback-block outcome-identifier="FEEDBACK" identifier="choice_4" show-hide="show">
    <p>Fixes follow findings.</p>
  </qti-feedback-block>
</qti-assessment-item>
"""

FOREIGN_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
    xmlns:lom="http://ltsc.ieee.org/xsd/LOM" identifier="M1">
  <resources>
    <resource identifier="r1" type="imsqti_item_xmlv3p0" href="content/item1.xml">
      <metadata><lom:lom>
        <lom:educational><lom:difficulty><lom:value>very difficult</lom:value></lom:difficulty>
        </lom:educational>
        <lom:relation><lom:kind><lom:value>references</lom:value></lom:kind>
          <lom:resource><lom:description><lom:string>MITRE ATLAS</lom:string></lom:description>
          </lom:resource></lom:relation>
        <lom:classification><lom:taxonPath><lom:taxon><lom:id>D2</lom:id></lom:taxon>
          <lom:taxon><lom:id>D2-A</lom:id></lom:taxon></lom:taxonPath></lom:classification>
      </lom:lom></metadata>
      <file href="content/item1.xml"/>
    </resource>
    <resource identifier="t1" type="imsqti_test_xmlv3p0" href="test.xml"/>
    <resource identifier="old" type="imsqti_item_xmlv2p1" href="old.xml"/>
  </resources>
</manifest>
"""


def test_a_foreign_package_reads_with_html_converted_and_manifest_metadata() -> None:
    parsed = parse(
        package({"imsmanifest.xml": FOREIGN_MANIFEST, "content/item1.xml": FOREIGN_ITEM})
    )
    assert parsed.problems == (), reasons(parsed.problems)
    (item,) = parsed.items
    assert item.key == "D2-A-001"
    assert item.subdomain == "D2-A"
    assert item.difficulty == "hard"
    assert item.stem == "An insurer deploys a **claims** model.\n\nWhich step comes FIRST?"
    assert item.options == (
        "Run the attacks",
        "Agree the rules of engagement",
        "Write the report",
        "Fix findings",
    )
    assert item.answer == 1
    assert item.rationales == (
        "Attacks come after *scoping*.",
        "Scope and safety first.",
        "Reports come last.",
        "Fixes follow findings.",
    )
    assert item.references == ("MITRE ATLAS",)
    skipped = [w.reason for w in parsed.warnings]
    assert any("'imsqti_test_xmlv3p0' skipped" in r for r in skipped)
    assert any("'imsqti_item_xmlv2p1' skipped: QTI 2.x items are not read" in r for r in skipped)


def test_lines_of_a_foreign_item_point_into_its_file() -> None:
    parsed = parse(
        package({"imsmanifest.xml": FOREIGN_MANIFEST, "content/item1.xml": FOREIGN_ITEM})
    )
    item = parsed.items[0]
    assert item.source.file == f"{FILE}/content/item1.xml"
    assert item.source.line == 2
    assert item.line_of("options.A") == 14
    assert item.line_of("rationale.A") == 16


UNSUPPORTED = {
    "multiple response": ('max-choices="1"', 'max-choices="2"', "max-choices='2' (multiple"),
    "text entry": (
        "<qti-choice-interaction",
        '<qti-text-entry-interaction response-identifier="R2"/><qti-choice-interaction',
        "qti-choice-interaction, qti-text-entry-interaction",
    ),
    "three choices": (
        '<qti-simple-choice identifier="choice_4">Fix findings</qti-simple-choice>',
        "",
        "3 choices; the engine needs exactly four",
    ),
    "no correct response": ("<qti-value>choice_2</qti-value>", "", "no correct response"),
    "two correct responses": (
        "<qti-value>choice_2</qti-value>",
        "<qti-value>choice_2</qti-value><qti-value>choice_3</qti-value>",
        "2 correct responses",
    ),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_items_are_skipped_with_a_warning(name: str) -> None:
    old, new, reason = UNSUPPORTED[name]
    assert old in FOREIGN_ITEM
    parsed = parse(FOREIGN_ITEM.replace(old, new, 1).encode(), filename="one.xml")
    assert parsed.items == ()
    assert parsed.problems == ()
    (warning,) = parsed.warnings
    assert warning.file == "one.xml"
    assert warning.line == 2
    assert warning.reason.startswith("item 'D2-A-001' skipped:")
    assert reason in warning.reason


def test_a_qti2_item_is_skipped() -> None:
    old = '<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="x"/>'
    parsed = parse(old.encode(), filename="old.xml")
    assert parsed.items == ()
    assert "QTI 2.x assessmentItem" in parsed.warnings[0].reason


# --- safety and malformed packages ----------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<qti-assessment-item identifier="x">&lol3;</qti-assessment-item>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE item [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<qti-assessment-item identifier="x"><qti-item-body>&xxe;</qti-item-body></qti-assessment-item>
"""


@pytest.mark.parametrize("attack", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_entity_attacks_are_refused_with_a_clear_error(attack: bytes) -> None:
    for data, where in (
        (attack, "evil.xml"),
        (package({"imsmanifest.xml": attack}), f"{FILE}/imsmanifest.xml"),
        (
            package({"imsmanifest.xml": FOREIGN_MANIFEST, "content/item1.xml": attack}),
            f"{FILE}/content/item1.xml",
        ),
    ):
        parsed = parse(data, filename="evil.xml" if where == "evil.xml" else FILE)
        assert parsed.items == ()
        (problem,) = parsed.problems
        assert problem.file == where
        assert problem.line == 2
        assert problem.reason.startswith("refused: the XML declares a DTD or entities")
        assert "billion laughs" in problem.reason
        assert "XXE" in problem.reason
        assert "root:" not in str(problem)


def test_malformed_xml_names_its_line() -> None:
    broken = FOREIGN_ITEM.replace("</qti-prompt>", "</qti-prompt", 1)
    parsed = parse(broken.encode(), filename="item.xml")
    (problem,) = parsed.problems
    assert problem.line == 14
    assert problem.reason.startswith("XML syntax error: ")


def test_an_undefined_entity_is_a_syntax_error() -> None:
    parsed = parse(b"<qti-assessment-item>\n&nbsp;</qti-assessment-item>", filename="i.xml")
    assert [str(p) for p in parsed.problems] == ["i.xml:2: XML syntax error: undefined entity"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"imsmanifest.xml": FOREIGN_MANIFEST},
            f"{FILE}/imsmanifest.xml:5: resource 'content/item1.xml' is not in the zip",
        ),
        (
            {"imsmanifest.xml": FOREIGN_MANIFEST.replace("content/item1.xml", "../../etc/x")},
            f"{FILE}/imsmanifest.xml:5: resource href '../../etc/x' is missing or leaves the "
            "package",
        ),
        ({"../evil.xml": "<x/>"}, f"{FILE}:1: zip member '../evil.xml' points outside the archive"),
        ({"/abs.xml": "<x/>"}, f"{FILE}:1: zip member '/abs.xml' points outside the archive"),
        (
            {"imsmanifest.xml": '<manifest xmlns="x"><resources/></manifest>'},
            f"{FILE}:1: the package lists no QTI 3.0 items",
        ),
        (
            {"content/item1.xml": "<not-qti/>"},
            f"{FILE}/content/item1.xml:1: not a QTI 3.0 item: the root element is <not-qti>, "
            "expected <qti-assessment-item>",
        ),
    ],
)
def test_malformed_packages_are_problems(files: dict[str, str], expected: str) -> None:
    parsed = parse(package(files))
    assert parsed.items == ()
    assert expected in reasons(parsed.problems), reasons(parsed.problems)


def test_a_package_without_manifest_reads_every_xml_file_with_a_warning() -> None:
    parsed = parse(package({"content/item1.xml": FOREIGN_ITEM}))
    assert any("no imsmanifest.xml" in w.reason for w in parsed.warnings)
    # No manifest means no difficulty or references: the bank's rules say what is missing.
    found = reasons(parsed.problems)
    assert any("missing required field 'difficulty'" in p for p in found)


def test_an_oversized_member_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "MAX_MEMBER_BYTES", 1000)
    parsed = parse(package({"imsmanifest.xml": FOREIGN_MANIFEST, "big.xml": "x" * 5000}))
    assert "is larger than" in parsed.problems[0].reason


def test_too_many_members_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "MAX_ZIP_MEMBERS", 2)
    parsed = parse(package({"a.xml": "<a/>", "b.xml": "<b/>", "c.xml": "<c/>"}))
    assert reasons(parsed.problems) == [f"{FILE}:1: the zip holds 3 files; at most 2 are read"]


@pytest.mark.parametrize("data", [b"", b"plain text", b"PK\x03\x04 broken zip", b"\x00\x01\x02"])
def test_other_content_is_a_problem_not_a_crash(data: bytes) -> None:
    parsed = parse(data)
    assert parsed.items == ()
    assert len(parsed.problems) == 1


@settings(max_examples=examples(200), deadline=None)
@given(st.binary(max_size=300))
def test_fuzzed_bytes_never_raise(data: bytes) -> None:
    parse(data)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(st.sampled_from([*"<>/=\"'&;! \n", "qti-", "<?xml ", "<!DOCTYPE", "a"]), max_size=60)
)
def test_fuzzed_xml_never_raises(parts: list[str]) -> None:
    parse("".join(parts).encode(), filename="f.xml")


# --- the writer's exact output ----------------------------------------------------------------


def test_an_item_document_is_written_exactly() -> None:
    assert qti.item_xml(golden_items.AWKWARD) == golden_items.golden("qti_item.xml")


def test_the_manifest_is_written_exactly() -> None:
    items = sorted(golden_items.ITEMS, key=lambda item: item.key)
    expected = golden_items.golden("qti_manifest.xml")
    assert qti.manifest_xml(items, golden_items.BLUEPRINT) == expected


def test_the_package_holds_the_manifest_then_each_item_in_key_order() -> None:
    data = qti.write(golden_items.ITEMS, golden_items.BLUEPRINT)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert names == [
        "imsmanifest.xml",
        "items/D1-A-001.xml",
        "items/D1-A-002.xml",
        "items/D1-B-001.xml",
    ]
    files = members(data)
    assert files["imsmanifest.xml"] == golden_items.golden("qti_manifest.xml")
    assert files["items/D1-B-001.xml"] == golden_items.golden("qti_item.xml")
    assert files["items/D1-A-002.xml"] == qti.item_xml(golden_items.PLAIN)


def test_file_names_and_identifiers_replace_unsafe_characters() -> None:
    assert qti.item_path("a b/c:d.e-f_g") == "items/a_b_c_d.e-f_g.xml"
    blueprint = dataclasses.replace(golden_items.BLUEPRINT, name="my bank/2")
    item = dataclasses.replace(golden_items.SIMPLE, key="K 1")
    manifest = qti.manifest_xml([item], blueprint).decode()
    assert 'identifier="MANIFEST-my_bank_2-bank"' in manifest
    assert '<resource identifier="item-K_1" type="imsqti_item_xmlv3p0" href="items/K_1.xml">' in (
        manifest
    )
    assert "<imsmd:catalog>my bank/2</imsmd:catalog>" in manifest


def test_a_subdomain_outside_the_blueprint_is_classified_by_its_codes() -> None:
    item = dataclasses.replace(golden_items.SIMPLE, domain="D9", subdomain="D9-Z")
    manifest = qti.manifest_xml([item], golden_items.BLUEPRINT).decode()
    assert (
        "<imsmd:id>D9</imsmd:id>\n"
        "                <imsmd:entry>\n"
        '                  <imsmd:string language="en">D9</imsmd:string>'
    ) in manifest
    assert (
        "<imsmd:id>D9-Z</imsmd:id>\n"
        "                <imsmd:entry>\n"
        '                  <imsmd:string language="en">D9-Z</imsmd:string>'
    ) in manifest


@pytest.mark.parametrize(
    ("field", "value", "name", "code"),
    [
        ("stem", "a\x00b", "stem", "0000"),
        ("rationales", ("r", "r", "r", "r\ufffe"), "rationale.D", "FFFE"),
        ("references", ("ok", "bad\x1f"), "references.1", "001F"),
        ("enemies", ("D1-A-002\x0b",), "enemies.0", "000B"),
    ],
)
def test_each_text_field_is_checked_for_characters_xml_cannot_carry(
    field: str, value: object, name: str, code: str
) -> None:
    item = dataclasses.replace(golden_items.SIMPLE, **{field: value})  # type: ignore[arg-type]
    with pytest.raises(ExportError) as raised:
        qti.item_xml(item)
    assert str(raised.value) == (
        f"item D1-A-001: {name} holds the character U+{code}, which XML (and so QTI) "
        "cannot carry; remove it and export again"
    )


# --- the reader's exact lines, warnings and problems ---------------------------------------


def golden_package(item: ItemRecord | None = None) -> dict[str, str]:
    item = item or dataclasses.replace(
        golden_items.SIMPLE, enemies=("D1-A-002",), as_of=dt.date(2026, 1, 2)
    )
    files = members(qti.write([item], golden_items.BLUEPRINT))
    return {name: data.decode() for name, data in files.items()}


def golden_parse(files: dict[str, str]) -> qti.Parsed:
    return qti.parse(
        package(files), filename="g.zip", blueprint=golden_items.BLUEPRINT, known_keys=("D1-A-002",)
    )


def bare(item_xml: str) -> str:
    """The item without the metadata this engine writes into it."""
    item_xml = re.sub(
        r"\n *<qti-rubric-block class=\"aaism-metadata\".*?</qti-rubric-block>",
        "",
        item_xml,
        flags=re.DOTALL,
    )
    item_xml = item_xml.replace('class="aaism-references"', 'class="refs"')
    return item_xml.replace('identifier="D1-A-001"', 'identifier="item-7"', 1)


ITEM_FILE = "items/D1-A-001.xml"
OWN_LINES = {
    "key": 27,  # each value's dd in the author-view rubric closing qti-item-body
    "stem": 15,
    "options.A": 18,
    "rationale.A": 18,
    "options.B": 19,
    "rationale.B": 19,
    "options.C": 20,
    "rationale.C": 20,
    "options.D": 21,
    "rationale.D": 21,
    "answer": 3,  # qti-response-declaration
    "subdomain": 31,
    "difficulty": 33,
    "references": 63,  # the references list in the modal feedback
    "enemies": 35,
    "as_of": 37,
}


def test_an_engine_item_reads_with_every_field_at_its_element_line() -> None:
    parsed = golden_parse(golden_package())
    assert parsed.problems == ()
    assert parsed.warnings == ()
    (item,) = parsed.items
    assert (
        item.canonical_content()
        == dataclasses.replace(
            golden_items.SIMPLE, enemies=("D1-A-002",), as_of=dt.date(2026, 1, 2)
        ).canonical_content()
    )
    assert dict(item.field_lines) == OWN_LINES


def test_metadata_missing_from_the_item_is_read_from_the_manifest_at_its_resource_line() -> None:
    files = golden_package()
    files[ITEM_FILE] = bare(files[ITEM_FILE])
    parsed = golden_parse(files)
    assert parsed.problems == ()
    assert parsed.warnings == ()
    (item,) = parsed.items
    assert (item.key, item.subdomain, item.difficulty) == ("D1-A-001", "D1-A", "medium")
    assert item.references == ("Ref | B", "C\\D")
    resource = 9
    own = {k: v for k, v in OWN_LINES.items() if k not in ("enemies", "as_of")}
    assert dict(item.field_lines) == {
        **own,
        "key": resource,
        "subdomain": resource,
        "difficulty": resource,
        "references": resource,
    }


def test_without_manifest_or_metadata_the_key_is_the_item_identifier() -> None:
    files = golden_package()
    parsed = golden_parse({ITEM_FILE: bare(files[ITEM_FILE])})
    assert parsed.items == ()
    assert reasons(parsed.warnings) == [
        "g.zip:1: no imsmanifest.xml: every .xml file in the zip is read as an item"
    ]
    assert reasons(parsed.problems) == [
        f"g.zip/{ITEM_FILE}:2: item item-7: missing required field 'difficulty'",
        f"g.zip/{ITEM_FILE}:2: item item-7: missing required field 'references'",
        f"g.zip/{ITEM_FILE}:15: unknown sub-domain 'item' (known: D1-A, D1-B)",
    ]


def test_the_item_wins_over_each_disagreeing_manifest_value_with_exact_warnings() -> None:
    files = golden_package()
    files["imsmanifest.xml"] = (
        files["imsmanifest.xml"]
        .replace("<imsmd:entry>D1-A-001</imsmd:entry>", "<imsmd:entry>D1-A-009</imsmd:entry>")
        .replace("<imsmd:id>D1-A</imsmd:id>", "<imsmd:id>D1-B</imsmd:id>")
        .replace("<imsmd:value>medium</imsmd:value>", "<imsmd:value>very easy</imsmd:value>")
        .replace(">Ref | B<", ">Other<")
    )
    parsed = golden_parse(files)
    assert parsed.problems == ()
    assert parsed.items[0].key == "D1-A-001"
    where = f"g.zip/{ITEM_FILE}"
    assert reasons(parsed.warnings) == [
        f"{where}:27: item 'D1-A-001': the manifest gives the key 'D1-A-009', the item "
        "'D1-A-001'; the item's is used",
        f"{where}:31: item 'D1-A-001': the manifest gives the sub-domain 'D1-B', the item "
        "'D1-A'; the item's is used",
        f"{where}:33: item 'D1-A-001': the manifest gives the difficulty 'easy', the item "
        "'medium'; the item's is used",
        f"{where}:63: item 'D1-A-001': the manifest lists other references; the item's are used",
    ]


def test_a_manifest_subdomain_is_checked_against_the_key_at_the_resource_line() -> None:
    files = golden_package()
    files[ITEM_FILE] = bare(files[ITEM_FILE])
    files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(
        "<imsmd:id>D1-A</imsmd:id>", "<imsmd:id>D1-B</imsmd:id>"
    )
    assert reasons(golden_parse(files).problems) == [
        f"g.zip/{ITEM_FILE}:9: item D1-A-001: key 'D1-A-001' does not match sub-domain D1-B: "
        "expected D1-B-NNN"
    ]


def test_an_unknown_stated_domain_is_a_problem_at_its_value() -> None:
    files = golden_package()
    files[ITEM_FILE] = golden_items.with_meta(files[ITEM_FILE], "domain", "D7")
    parsed = golden_parse(files)
    assert reasons(parsed.problems) == [
        f"g.zip/{ITEM_FILE}:29: item 'D1-A-001': unknown domain 'D7' (known: D1)"
    ]


def test_a_resource_without_href_uses_its_file_element() -> None:
    files = golden_package()
    files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(' href="items/D1-A-001.xml"', "", 1)
    parsed = golden_parse(files)
    assert parsed.problems == ()
    assert parsed.items[0].line_of("difficulty") == 33


def test_a_resource_without_type_is_skipped_by_name() -> None:
    files = golden_package()
    files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(
        ' type="imsqti_item_xmlv3p0" href="items/D1-A-001.xml"', ""
    )
    parsed = golden_parse(files)
    assert reasons(parsed.warnings) == [
        "g.zip/imsmanifest.xml:9: resources of type '(no type)' skipped: only QTI 3.0 item "
        "resources are read"
    ]
    assert reasons(parsed.problems) == ["g.zip:1: the package lists no QTI 3.0 items"]


def test_a_foreign_item_has_every_field_at_its_element_line() -> None:
    parsed = parse(
        package({"imsmanifest.xml": FOREIGN_MANIFEST, "content/item1.xml": FOREIGN_ITEM})
    )
    assert dict(parsed.items[0].field_lines) == {
        "key": 2,
        "stem": 10,
        "options.A": 14,
        "rationale.A": 16,
        "options.B": 20,
        "rationale.B": 21,
        "options.C": 23,
        "rationale.C": 27,  # a modal feedback outside the choice
        "options.D": 24,
        "rationale.D": 30,  # a feedback block outside the choice
        "answer": 4,
        "subdomain": 5,
        "difficulty": 5,
        "references": 5,
    }
    assert reasons(parsed.warnings) == [
        f"{FILE}/imsmanifest.xml:17: resources of type 'imsqti_test_xmlv3p0' skipped: only "
        "QTI 3.0 item resources are read",
        f"{FILE}/imsmanifest.xml:18: resources of type 'imsqti_item_xmlv2p1' skipped: QTI 2.x "
        "items are not read (QTI 3.0 only)",
    ]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "<qti-value>choice_2</qti-value>",
            "<qti-value>choice_9</qti-value>",
            "one.xml:4: item 'D2-A-001': the correct response 'choice_9' is not one of the "
            "choices (choice_1, choice_2, choice_3, choice_4)",
        ),
        ("qti-item-body", "qti-item-bodx", "one.xml:2: item 'D2-A-001' has no <qti-item-body>"),
        (
            'identifier="D2-A-001" title',
            'title="x"><qti-item-bodx/></qti-assessment-item><!-- ',
            "one.xml:2: the item has no <qti-item-body>",
        ),
    ],
)
def test_broken_items_are_exact_problems(old: str, new: str, problem: str) -> None:
    text = FOREIGN_ITEM.replace(old, new)
    if new.endswith("<!-- "):
        text = text.replace("</qti-assessment-item>\n", "-->", 1)
    parsed = parse(text.encode(), filename="one.xml")
    assert parsed.items == ()
    assert parsed.warnings == ()
    assert reasons(parsed.problems) == [problem]


def test_markup_lost_in_conversion_is_one_warning_naming_the_tags() -> None:
    text = FOREIGN_ITEM.replace("<strong>claims</strong>", "<blink>claims</blink><img src='x'/>")
    parsed = parse(text.encode(), filename="one.xml")
    assert reasons(parsed.warnings) == [
        "one.xml:2: item 'D2-A-001': markup <blink>, <img> dropped when converting to Markdown"
    ]


ENGINE = "the engine reads"


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            'max-choices="1"',
            'max-choices="2"',
            f"max-choices='2' (multiple response); {ENGINE} single-best-answer items "
            '(max-choices="1")',
        ),
        (
            "<qti-choice-interaction",
            '<qti-text-entry-interaction response-identifier="R2"/><qti-choice-interaction',
            f"it has qti-choice-interaction, qti-text-entry-interaction; {ENGINE} one "
            "qti-choice-interaction",
        ),
        (
            "</qti-item-body>",
            '<qti-choice-interaction max-choices="1"/></qti-item-body>',
            f"it has qti-choice-interaction; {ENGINE} one qti-choice-interaction",
        ),
        (
            "<qti-choice-interaction",
            "<qti-choicx-interaction",
            f"it has qti-choicx-interaction; {ENGINE} one qti-choice-interaction",
        ),
        (
            '<qti-simple-choice identifier="choice_4">Fix findings</qti-simple-choice>',
            "",
            "3 choices; the engine needs exactly four",
        ),
        ("<qti-value>choice_2</qti-value>", "", "no correct response is declared"),
        (
            "<qti-value>choice_2</qti-value>",
            "<qti-value>choice_2</qti-value><qti-value>choice_3</qti-value>",
            "2 correct responses; the engine needs exactly one",
        ),
    ],
)
def test_unsupported_items_are_skipped_with_an_exact_reason(
    old: str, new: str, reason: str
) -> None:
    text = FOREIGN_ITEM.replace(old, new, 1)
    if "qti-choicx" in new:
        text = text.replace("</qti-choice-interaction>", "</qti-choicx-interaction>")
    parsed = parse(text.encode(), filename="one.xml")
    assert parsed.items == ()
    assert parsed.problems == ()
    assert reasons(parsed.warnings) == [f"one.xml:2: item 'D2-A-001' skipped: {reason}"]


def foreign(item: str = FOREIGN_ITEM, manifest: str = FOREIGN_MANIFEST) -> qti.Parsed:
    return parse(package({"imsmanifest.xml": manifest, "content/item1.xml": item}))


def test_an_xml_file_may_start_with_a_bom_and_whitespace_and_defaults_apply() -> None:
    item = (
        FOREIGN_ITEM.replace(' response-identifier="RESPONSE"', "")
        .replace(' max-choices="1"', "")
        .replace('<?xml version="1.0" encoding="UTF-8"?>\n', "")
    )
    parsed = parse(("\ufeff \n\t" + item).encode(), filename="one.xml")
    # Read as an item (the response defaults to RESPONSE, max-choices to 1): only the
    # manifest's metadata is missing.
    assert reasons(parsed.problems) == [
        "one.xml:2: item D2-A-001: missing required field 'difficulty'",
        "one.xml:2: item D2-A-001: missing required field 'references'",
    ]


def test_the_correct_response_comes_from_the_interactions_declaration() -> None:
    item = FOREIGN_ITEM.replace(
        '<qti-response-declaration identifier="RESPONSE"',
        '<qti-response-declaration identifier="OTHER"><qti-correct-response>'
        "<qti-value>choice_1</qti-value></qti-correct-response></qti-response-declaration>"
        '<qti-response-declaration identifier=" RESPONSE "',
    )
    parsed = foreign(item)
    assert parsed.problems == ()
    assert parsed.items[0].answer == 1


def test_a_deeply_nested_item_is_a_problem_not_a_crash() -> None:
    deep = FOREIGN_ITEM.replace("<p>An insurer", "<div>" * 1200 + "x" + "</div>" * 1200 + "<p>An")
    parsed = parse(deep.encode(), filename="deep.xml")
    assert reasons(parsed.problems) == ["deep.xml:1: the item's XML is nested too deeply to read"]


def test_the_first_outside_feedback_for_a_choice_is_its_rationale() -> None:
    item = FOREIGN_ITEM.replace(
        '<qti-modal-feedback outcome-identifier="FEEDBACK" identifier="choice_3"',
        '<qti-feedback-block outcome-identifier="FEEDBACK" identifier="choice_4"><p>first wins'
        '</p></qti-feedback-block><qti-modal-feedback outcome-identifier="FEEDBACK" '
        'identifier="choice_3"',
    )
    parsed = foreign(item)
    assert parsed.problems == ()
    assert parsed.items[0].rationales[3] == "first wins"
    assert parsed.items[0].line_of("rationale.D") == 27


def test_a_blank_feedback_is_no_rationale() -> None:
    parsed = foreign(FOREIGN_ITEM.replace("Scope and safety first.", "  "))
    assert reasons(parsed.problems) == [
        f"{FILE}/content/item1.xml:2: item D2-A-001: rationale missing for B: "
        "give one for A, B, C and D"
    ]


def test_a_blank_prompt_adds_nothing_to_the_stem() -> None:
    item = FOREIGN_ITEM.replace(
        "<qti-prompt>Which step comes   FIRST?</qti-prompt>", "<qti-prompt> </qti-prompt>"
    )
    assert foreign(item).items[0].stem == "An insurer deploys a **claims** model."


@pytest.mark.parametrize(
    ("level", "kind", "problem"),
    [
        ("Tricky", "References", "5: item D2-A-001: difficulty 'tricky' must be one of easy, "
         "medium, hard"),
        ("VERY EASY", "isbasedon", "2: item D2-A-001: missing required field 'references'"),
    ],
)  # fmt: skip
def test_manifest_difficulty_and_relation_kinds_are_read_case_blind(
    level: str, kind: str, problem: str
) -> None:
    manifest = FOREIGN_MANIFEST.replace("very difficult", level).replace(
        "<lom:value>references</lom:value>", f"<lom:value>{kind}</lom:value>"
    )
    assert reasons(foreign(manifest=manifest).problems) == [f"{FILE}/content/item1.xml:{problem}"]


def test_manifest_levels_map_to_the_banks_three() -> None:
    levels = {"very easy": "easy", "EASY": "easy", "Medium": "medium", "difficult": "hard"}
    for level, difficulty in levels.items():
        manifest = FOREIGN_MANIFEST.replace("very difficult", level)
        assert foreign(manifest=manifest).items[0].difficulty == difficulty, level


def test_an_item_without_enemies_or_date_writes_neither_field() -> None:
    text = qti.item_xml(golden_items.SIMPLE).decode()
    assert "  <qti-item-body>\n" in text
    assert "<dt>difficulty</dt>\n          <dd>medium</dd>\n        </dl>" in text
    assert "<dt>enemy</dt>" not in text
    assert "<dt>as-of</dt>" not in text


def test_an_item_without_references_has_no_references_feedback_and_reads_back() -> None:
    item = dataclasses.replace(golden_items.SIMPLE, references=())
    text = qti.item_xml(item).decode()
    assert "SHOW_REFERENCES" not in text
    assert "qti-modal-feedback" not in text
    parsed = qti.parse(text.encode(), filename="one.xml", blueprint=golden_items.BLUEPRINT)
    assert [p.reason for p in parsed.problems] == [
        "item D1-A-001: missing required field 'references'"
    ]


def test_items_exported_with_data_attributes_still_read_verbatim() -> None:
    """Exports made before the metadata moved into the rubric carried it on the body."""
    text = (
        re.sub(
            r"\n *<qti-rubric-block.*?</qti-rubric-block>",
            "",
            qti.item_xml(golden_items.SIMPLE).decode(),
            flags=re.DOTALL,
        )
        .replace(
            "<qti-item-body>",
            '<qti-item-body data-aaism-key="D1-A-001" data-aaism-domain="D1" '
            'data-aaism-subdomain="D1-A" data-aaism-difficulty="medium" '
            'data-aaism-enemies="D1-A-002 D1-A-003" data-aaism-as-of="2026-01-02">',
        )
        .replace('class="aaism-references"', 'data-aaism="references"')
    )
    parsed = qti.parse(
        text.encode(),
        filename="old.xml",
        blueprint=golden_items.BLUEPRINT,
        known_keys=("D1-A-002", "D1-A-003"),
    )
    assert parsed.problems == ()
    (item,) = parsed.items
    expected = dataclasses.replace(
        golden_items.SIMPLE, enemies=("D1-A-002", "D1-A-003"), as_of=dt.date(2026, 1, 2)
    )
    assert item.canonical_content() == expected.canonical_content()


NOT_QTI = (
    f"{FILE}:1: not a QTI 3.0 content package (a zip with imsmanifest.xml) or a "
    "qti-assessment-item XML file"
)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", NOT_QTI),
        (b"plain text", NOT_QTI),
        (b"\x00\x01\x02", NOT_QTI),
        (
            b"PK\x03\x04 broken zip",
            f"{FILE}:1: not a readable zip archive (BadZipFile: File is not a zip file)",
        ),
        (
            b" \n<x/>",
            f"{FILE}:2: not a QTI 3.0 item: the root element is <x>, "
            "expected <qti-assessment-item>",
        ),
    ],
)
def test_other_content_is_named_exactly(data: bytes, problem: str) -> None:
    parsed = parse(data)
    assert parsed.warnings == ()
    assert reasons(parsed.problems) == [problem]


def test_skipped_resources_are_one_warning_a_type_at_its_first_line() -> None:
    manifest = FOREIGN_MANIFEST.replace(
        '<resource identifier="old"',
        '<resource identifier="t2" type="imsqti_test_xmlv3p0" href="t2.xml"/>\n'
        '    <resource identifier="old"',
    )
    parsed = foreign(manifest=manifest)
    assert reasons(parsed.warnings) == [
        f"{FILE}/imsmanifest.xml:17: resources of type 'imsqti_test_xmlv3p0' skipped: only "
        "QTI 3.0 item resources are read",
        f"{FILE}/imsmanifest.xml:19: resources of type 'imsqti_item_xmlv2p1' skipped: QTI 2.x "
        "items are not read (QTI 3.0 only)",
    ]


def test_a_resource_with_no_href_anywhere_is_a_problem() -> None:
    manifest = FOREIGN_MANIFEST.replace(' href="content/item1.xml"', "").replace(
        '<file href="content/item1.xml"/>', "<file/>"
    )
    assert reasons(foreign(manifest=manifest).problems) == [
        f"{FILE}/imsmanifest.xml:5: resource href '' is missing or leaves the package"
    ]


def test_without_a_manifest_only_xml_files_are_read_whatever_their_case() -> None:
    parsed = parse(package({"b.XML": FOREIGN_ITEM, "a.txt": "hello", "c/": ""}))
    assert reasons(parsed.warnings) == [
        f"{FILE}:1: no imsmanifest.xml: every .xml file in the zip is read as an item"
    ]
    assert reasons(parsed.problems) == [
        f"{FILE}/b.XML:2: item D2-A-001: missing required field 'difficulty'",
        f"{FILE}/b.XML:2: item D2-A-001: missing required field 'references'",
    ]


def test_the_last_subdomain_in_the_manifest_taxon_path_is_used() -> None:
    manifest = FOREIGN_MANIFEST.replace(
        "<lom:taxon><lom:id>D2-A</lom:id></lom:taxon>",
        "<lom:taxon><lom:id>D2-B</lom:id></lom:taxon><lom:taxon><lom:id>D2-A</lom:id></lom:taxon>",
    )
    parsed = foreign(manifest=manifest)
    assert parsed.problems == ()
    assert parsed.items[0].subdomain == "D2-A"


def test_a_manifest_domain_that_disagrees_is_a_problem_at_the_resource_line() -> None:
    manifest = FOREIGN_MANIFEST.replace("<lom:id>D2</lom:id>", "<lom:id>D3</lom:id>")
    assert reasons(foreign(manifest=manifest).problems) == [
        f"{FILE}/content/item1.xml:5: item 'D2-A-001': domain 'D3' does not match sub-domain "
        "'D2-A', which is in D2"
    ]


def test_a_manifest_over_the_member_limit_still_imports_its_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = list(load_bank().items[:6])
    data = qti.write(items, bundled_blueprint())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sizes = {info.filename: info.file_size for info in archive.infolist()}
    manifest = sizes.pop("imsmanifest.xml")
    largest_item = max(sizes.values())
    assert manifest > largest_item
    # Each item fits the member limit; the manifest does not, but has a limit of its own.
    monkeypatch.setattr(common, "MAX_MEMBER_BYTES", largest_item)
    monkeypatch.setattr(common, "MAX_MANIFEST_BYTES", manifest)
    parsed = parse(data)
    assert parsed.problems == ()
    assert [item.key for item in parsed.items] == [item.key for item in items]
    monkeypatch.setattr(common, "MAX_MANIFEST_BYTES", manifest - 1)
    assert "'imsmanifest.xml' is larger than" in parse(data).problems[0].reason
