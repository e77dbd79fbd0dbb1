"""Other tools' QTI 2.1 and 3.0 choice items (one XML or a content package) as foreign items."""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest

from exam_engine.domain.formats import qti
from exam_engine.domain.formats.foreign import ForeignParsed
from tests.support.bundled import bundled_blueprint, bundled_subdomain

HERE = Path(__file__).parent / "foreign"
QTI21 = (HERE / "qti21_choice.xml").read_text("utf-8")
QTI30 = (HERE / "qti30_choice.xml").read_text("utf-8")


def read(data: bytes | str, filename: str = "item.xml") -> ForeignParsed:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return qti.parse_foreign(raw, filename=filename, blueprint=bundled_blueprint())


def package(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


ESSAY = (
    '<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" '
    'identifier="essay-1" title="Explain drift">\n'
    '  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/>\n'
    '  <qti-item-body><qti-extended-text-interaction response-identifier="RESPONSE"/>'
    "</qti-item-body>\n</qti-assessment-item>\n"
)


def item30(choices: str, *, correct: str = "a", extra: str = "", max_choices: str = "1") -> str:
    return (
        '<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" '
        'identifier="x1" title="X">\n'
        '  <qti-response-declaration identifier="RESPONSE" cardinality="single" '
        f'base-type="identifier"><qti-correct-response><qti-value>{correct}</qti-value>'
        "</qti-correct-response></qti-response-declaration>\n"
        "  <qti-item-body><p>Which one?</p>\n"
        f'    <qti-choice-interaction response-identifier="RESPONSE" max-choices="{max_choices}">'
        f"{choices}</qti-choice-interaction>\n  </qti-item-body>\n{extra}"
        "</qti-assessment-item>\n"
    )


def two(a: str = "Alpha", b: str = "Beta") -> str:
    return (
        f'<qti-simple-choice identifier="a">{a}</qti-simple-choice>'
        f'<qti-simple-choice identifier="b">{b}</qti-simple-choice>'
    )


# --- QTI 2.1 ------------------------------------------------------------------------------------


def test_a_qti_21_choice_item_is_read_with_prompt_feedback_and_key() -> None:
    parsed = read(QTI21, "poison.xml")
    assert parsed.problems == () and parsed.warnings == ()
    (item,) = parsed.items
    assert item.source_ref == "poisoning-01"
    assert item.stem == (
        "An attacker slips mislabelled records into a vendor's *training set*.\n\n"
        "Which attack is this?"
    )
    assert item.options == (
        "Model inversion",
        "Data poisoning",
        "Prompt injection",
        "Membership inference",
    )
    assert item.answer == 1
    assert item.rationales == (
        "Inversion recovers training data from a model.",
        "Yes: the **data** was poisoned.",
        "Injection targets inputs at run time.",
        "",
    )
    # The modal feedback with no identifier is general: it never lands on a choice.
    assert item.general_feedback == "Poisoning is a supply-chain risk."
    assert (item.file, item.line, item.subdomain) == ("poison.xml", 2, None)


def test_qti_21_multiple_response_is_skipped_by_name() -> None:
    multiple = QTI21.replace('cardinality="single"', 'cardinality="multiple"')
    parsed = read(multiple)
    assert parsed.items == ()
    assert [w.reason for w in parsed.warnings] == [
        "item 'poisoning-01' skipped: its response 'RESPONSE' has cardinality 'multiple'; "
        "the engine reads single-cardinality items"
    ]
    many = QTI21.replace('maxChoices="1"', 'maxChoices="0"')
    assert [w.reason for w in read(many).warnings] == [
        "item 'poisoning-01' skipped: its choiceInteraction allows 0 choices (multiple "
        "response); the engine reads single-answer items (maxChoices 1)"
    ]


def test_qti_21_other_interactions_are_named() -> None:
    text_entry = QTI21.replace("<choiceInteraction", "<textEntryInteraction").replace(
        "</choiceInteraction>", "</textEntryInteraction>"
    )
    assert [w.reason for w in read(text_entry).warnings] == [
        "item 'poisoning-01' skipped: it has textEntryInteraction; the engine reads items "
        "with one single-answer choice interaction"
    ]


# --- QTI 3.0 ------------------------------------------------------------------------------------


def test_a_qti_30_choice_item_is_read_with_three_choices_and_modal_feedback() -> None:
    (item,) = read(QTI30).items
    assert item.source_ref == "drift-3"
    assert item.stem == (
        "A fraud model's precision falls each month although its code is unchanged.\n\n"
        "What is the most likely cause?"
    )
    assert item.options == (
        "A bug in the scoring service",
        "Concept drift in the data",
        "Overfitting at training time",
    )
    assert item.answer == 1
    assert item.rationales == (
        "The code did not change.",
        "Right: the world changed, not the model.",
        "",
    )
    assert item.general_feedback == ""


def test_the_title_is_the_source_ref_when_there_is_no_identifier() -> None:
    (item,) = read(QTI30.replace('identifier="drift-3" ', "")).items
    assert item.source_ref == "Concept drift"


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (ESSAY, "it has qti-extended-text-interaction; the engine reads items with one"),
        (item30(two(), max_choices="2"), "allows 2 choices (multiple response)"),
        (item30(two(), correct="z"), "the correct response 'z' is not one of its choices (a, b)"),
        (
            item30('<qti-simple-choice identifier="a">A</qti-simple-choice>'),
            "1 choice; it needs at least two",
        ),
        (
            item30(two()).replace("<qti-value>a</qti-value>", ""),
            "no correct response is declared",
        ),
        (
            item30(two()).replace(
                "<qti-value>a</qti-value>", "<qti-value>a</qti-value><qti-value>b</qti-value>"
            ),
            "2 correct responses; the engine needs exactly one",
        ),
        (item30(two(b="  ")), "choice 'b' is empty"),
        (
            item30(two() + two()).replace(
                "</qti-choice-interaction>",
                "</qti-choice-interaction><qti-text-entry-interaction/>",
            ),
            "it has qti-choice-interaction, qti-text-entry-interaction",
        ),
    ],
)
def test_items_the_engine_cannot_take_are_skipped_with_a_reason(xml: str, reason: str) -> None:
    parsed = read(xml)
    assert parsed.items == () and parsed.problems == ()
    (warning,) = parsed.warnings
    assert "skipped: " in warning.reason and reason in warning.reason


def test_feedback_without_identifier_never_attaches_to_a_choice_without_one() -> None:
    choices = (
        '<qti-simple-choice identifier="a">A</qti-simple-choice>'
        "<qti-simple-choice>B</qti-simple-choice>"
    )
    extra = (
        '<qti-modal-feedback outcome-identifier="FEEDBACK" show-hide="show">'
        "<qti-content-body>Why B</qti-content-body></qti-modal-feedback>\n"
    )
    parsed = read(item30(choices, extra=extra))
    assert parsed.items == ()
    assert [w.reason for w in parsed.warnings] == [
        "item 'x1' skipped: choice 2 has no identifier, so its answer is unknowable"
    ]


def test_feedback_naming_no_choice_is_general_and_a_feedback_block_can_name_one() -> None:
    extra = (
        '<qti-modal-feedback outcome-identifier="FEEDBACK" identifier="correct" show-hide="show">'
        "<qti-content-body><p>Well done.</p></qti-content-body></qti-modal-feedback>\n"
    )
    xml = item30(two(), extra=extra).replace(
        "</qti-item-body>",
        '<qti-feedback-block outcome-identifier="FEEDBACK" identifier="b" show-hide="show">'
        "<qti-content-body>Beta is not it.</qti-content-body></qti-feedback-block></qti-item-body>",
    )
    (item,) = read(xml).items
    assert item.rationales == ("", "Beta is not it.")
    assert item.general_feedback == "Well done."
    assert "Beta is not it" not in item.stem


# --- what cannot be kept -----------------------------------------------------------------------


def test_mathml_and_images_in_a_stem_are_reported() -> None:
    xml = item30(two()).replace(
        "<p>Which one?</p>",
        '<p>Which one? <m:math xmlns:m="http://www.w3.org/1998/Math/MathML" alttext="a+b">'
        '<m:mi>a</m:mi><m:mo>+</m:mo><m:mi>b</m:mi></m:math> <img src="x.png" alt="plot"/></p>',
    )
    parsed = read(xml)
    (item,) = parsed.items
    assert item.stem == "Which one? [math: a+b] [image: plot]"
    assert [w.reason for w in parsed.warnings] == [
        "item 'x1': changed on import: the stem: an image or embedded media dropped (its alt "
        "text kept); MathML replaced by its alt text or [math]"
    ]


@pytest.mark.parametrize(
    ("content", "what"),
    [
        ('<img src="a.png"/>', "image"),
        ('<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi></math>', "math"),
        ("\\(x^2\\)", "math"),
    ],
)
def test_a_choice_that_is_only_an_image_or_math_skips_the_item(content: str, what: str) -> None:
    parsed = read(item30(two(a=content)))
    assert parsed.items == ()
    assert [w.reason for w in parsed.warnings] == [
        f"item 'x1' skipped: choice 'a' is only {what}, which the engine cannot show"
    ]


# --- packages -----------------------------------------------------------------------------------


def test_a_package_reads_its_items_with_metadata_from_the_manifest() -> None:
    data = package(
        {
            "imsmanifest.xml": (HERE / "qti30_manifest.xml").read_bytes(),
            "items/drift.xml": QTI30,
            "items/essay.xml": ESSAY,
            "items/poison.xml": QTI21,
            "images/logo.png": b"\x89PNG",
        }
    )
    parsed = read(data, "pkg.zip")
    assert parsed.problems == ()
    drift, poison = parsed.items
    assert (drift.file, drift.source_ref, drift.subdomain, drift.difficulty) == (
        "pkg.zip/items/drift.xml",
        "drift-3",
        "D3-A",
        "hard",
    )
    assert (poison.file, poison.source_ref, poison.subdomain) == (
        "pkg.zip/items/poison.xml",
        "poisoning-01",
        None,
    )
    line = (
        _manifest_lines().index(
            '    <resource identifier="r-poison" type="imsqti_item_xmlv2p1" '
            'href="items/poison.xml">'
        )
        + 1
    )
    assert [str(w) for w in parsed.warnings] == [
        "pkg.zip/items/essay.xml:1: item 'essay-1' skipped: it has "
        "qti-extended-text-interaction; the engine reads items with one single-answer choice "
        "interaction",
        f"pkg.zip/imsmanifest.xml:{line}: QTI metadata 'D7-Q' names 'D7-Q', which is not a "
        "sub-domain of aaism (known: " + ", ".join(bundled_blueprint().subdomain_codes) + ")",
    ]


def test_a_qti_21_package_without_manifest_reads_every_xml_with_a_warning() -> None:
    parsed = read(package({"a/one.xml": QTI21, "b/two.xml": QTI30, "notes.txt": "x"}), "p.zip")
    assert [item.source_ref for item in parsed.items] == ["poisoning-01", "drift-3"]
    assert [w.reason for w in parsed.warnings] == [
        "no imsmanifest.xml: every .xml file in the zip is read"
    ]


def test_the_engine_own_export_reads_back_exactly_through_the_foreign_reader() -> None:
    items = list(bundled_subdomain("D2-B")[:5])
    parsed = read(qti.write(items, bundled_blueprint()), "own.zip")
    assert parsed.problems == () and parsed.warnings == ()
    assert [
        (
            f.source_ref,
            f.stem,
            f.options,
            f.answer,
            f.rationales,
            f.subdomain,
            f.difficulty,
            f.references,
        )
        for f in parsed.items
    ] == [
        (i.key, i.stem, i.options, i.answer, i.rationales, i.subdomain, i.difficulty, i.references)
        for i in items
    ]


# --- bad input ----------------------------------------------------------------------------------


def test_one_broken_item_in_a_package_imports_nothing() -> None:
    cut = QTI30[: QTI30.index('<qti-simple-choice identifier="c3"')]
    parsed = read(package({"one.xml": QTI21, "two.xml": cut}), "p.zip")
    assert parsed.items == ()
    (problem,) = parsed.problems
    assert problem.file == "p.zip/two.xml"
    assert problem.line == cut.count("\n") + 1
    assert problem.reason.startswith("XML syntax error: no element found")


@pytest.mark.parametrize(
    "hostile",
    [
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        '<assessmentItem identifier="&e;"/>',
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
        "<assessmentItem>&b;</assessmentItem>",
    ],
)
def test_entities_are_refused(hostile: str) -> None:
    parsed = read(hostile)
    assert parsed.items == ()
    assert parsed.problems[0].reason.startswith("refused: the XML declares a DTD or entities")


def test_path_traversal_in_a_manifest_is_refused() -> None:
    manifest = (
        '<manifest><resources><resource type="imsqti_item_xmlv2p1" href="../../etc/passwd"/>'
        "</resources></manifest>"
    )
    parsed = read(package({"imsmanifest.xml": manifest}), "p.zip")
    assert [p.reason for p in parsed.problems] == [
        "resource href '../../etc/passwd' is missing or leaves the package"
    ]


def test_an_encoding_other_than_utf8_says_not_utf8() -> None:
    data = (
        QTI21.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
        .replace("Model inversion", "Mod\u00e8le inversion")
        .encode("latin-1")
    )
    parsed = read(data)
    assert parsed.items == ()
    (problem,) = parsed.problems
    assert "UTF-8" in problem.reason
    assert (
        problem.line
        == QTI21.splitlines().index(
            '      <simpleChoice identifier="ChoiceA">Model inversion</simpleChoice>'
        )
        + 1
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"just text", "not QTI: neither a content package"),
        (b"<html><body/></html>", "not a QTI item: the root element is <html>"),
        (b"<manifest/>", "this is a content package's manifest: import the whole zip"),
        (b"PK\x03\x04broken", "not a readable zip archive"),
    ],
)
def test_files_that_are_not_qti_items_are_problems(data: bytes, reason: str) -> None:
    parsed = read(data)
    assert parsed.items == ()
    assert reason in parsed.problems[0].reason


@lru_cache(maxsize=1)
def _manifest_lines() -> list[str]:
    return (HERE / "qti30_manifest.xml").read_text("utf-8").splitlines()


def test_only_lom_difficulty_gives_the_difficulty() -> None:
    manifest = (
        '<manifest xmlns:imsmd="http://ltsc.ieee.org/xsd/LOM"><resources>'
        '<resource type="imsqti_item_xmlv3p0" href="a.xml"><metadata><imsmd:lom>'
        "<imsmd:educational><imsmd:semanticDensity><imsmd:value>medium</imsmd:value>"
        "</imsmd:semanticDensity></imsmd:educational><imsmd:general><imsmd:keyword>"
        "<imsmd:string>easy</imsmd:string></imsmd:keyword></imsmd:general>"
        "</imsmd:lom></metadata></resource></resources></manifest>"
    )
    (item,) = read(package({"imsmanifest.xml": manifest, "a.xml": QTI30}), "p.zip").items
    assert item.difficulty is None
