"""Moodle XML: other teachers' question-bank exports read as foreign items; ours written back."""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exam_engine.domain import formats
from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats import ExportError, moodle_xml
from exam_engine.domain.formats._common import XML_ILLEGAL
from exam_engine.domain.formats.foreign import ForeignParsed
from exam_engine.domain.formats.foreign_readers import FOREIGN_READERS, read_foreign
from exam_engine.domain.formats.limits import MAX_TEXT_CHARS
from question_bank import load_bank
from tests.support.bundled import bundled_blueprint, bundled_item, bundled_subdomain
from tests.support.properties import examples

HERE = Path(__file__).parent / "foreign"
FILE = "bank.xml"


def read(data: bytes | str, filename: str = FILE) -> ForeignParsed:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return moodle_xml.parse_foreign(raw, filename=filename, blueprint=bundled_blueprint())


def quiz(*questions: str, category: str = "$course$/top/Imported") -> str:
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
        f'  <question type="category"><category><text>{category}</text></category></question>\n'
    )
    return head + "".join(questions) + "</quiz>\n"


def multichoice(
    name: str,
    stem: str,
    answers: list[tuple[str, str]] | None = None,
    feedback: list[str] | None = None,
) -> str:
    answers = answers or [("100", "<p>Right</p>"), ("0", "<p>Wrong</p>"), ("0", "<p>Other</p>")]
    feedback = feedback or [""] * len(answers)
    body = "".join(
        f'    <answer fraction="{fraction}" format="html"><text><![CDATA[{text}]]></text>'
        f"<feedback><text><![CDATA[{why}]]></text></feedback></answer>\n"
        for (fraction, text), why in zip(answers, feedback, strict=True)
    )
    return (
        '  <question type="multichoice">\n'
        f"    <name><text>{name}</text></name>\n"
        f'    <questiontext format="html"><text><![CDATA[{stem}]]></text></questiontext>\n'
        "    <single>true</single>\n"
        f"{body}  </question>\n"
    )


# --- a Moodle export with several types ------------------------------------------------------


@lru_cache(maxsize=1)
def mixed() -> ForeignParsed:
    return read((HERE / "moodle_mixed.xml").read_bytes(), "mixed.xml")


def test_single_answer_multichoice_items_are_read_with_html_as_markdown() -> None:
    parsed = mixed()
    assert parsed.problems == ()
    first, second = parsed.items
    assert first.source_ref == "SEC-RISK-07"
    assert first.stem == (
        "A bank wants to govern the **machine-learning models** its teams build.\n"
        "What should it do *first*?"
    )
    assert first.options == (
        "Buy a model-monitoring tool",
        "Build an inventory of models and their owners",
        "Retrain every model",
    )
    assert first.answer == 1
    assert first.rationales == (
        "Tools come **after** knowing what to monitor.",
        "Right: nothing can be governed that is not known.",
        "",
    )
    assert first.general_feedback == "An inventory comes before any other control."
    assert (first.file, first.line) == ("mixed.xml", 15)
    assert first.subdomain == "D2-A"
    assert first.difficulty is None and first.references == ()


def test_a_question_without_idnumber_is_known_by_its_name_and_auto_format_keeps_lines() -> None:
    second = mixed().items[1]
    assert second.source_ref == "Plain question without id"
    assert second.stem == "Which team owns the model risk policy?\nAnswer for a typical bank."
    assert second.options[0] == "Second line risk management"
    assert second.answer == 0
    # The category after "D2-A ..." names no code: the item is untagged.
    assert second.subdomain is None


def test_every_other_type_is_skipped_with_its_name_and_type() -> None:
    reasons = [str(w) for w in mixed().warnings]
    assert reasons == [
        "mixed.xml:67: question 'Bias is always intended' skipped: its type is 'truefalse'; "
        "the engine imports single-answer multiple choice (multichoice) only",
        "mixed.xml:96: question 'Pick every control' skipped: multiple answers "
        "(<single>false</single>); the engine imports single-answer multiple choice only",
        "mixed.xml:135: question 'Acronym' skipped: its type is 'shortanswer'; "
        "the engine imports single-answer multiple choice (multichoice) only",
        "mixed.xml:148: question 'Plain question without id': partial credit on answer 2 "
        "dropped; the engine scores one answer right and the others wrong",
        "mixed.xml:176: question 'Reading for week 3' skipped: its type is 'description'; "
        "the engine imports single-answer multiple choice (multichoice) only",
        "mixed.xml:186: question 'Cloze on controls' skipped: its type is 'multianswer'; "
        "the engine imports single-answer multiple choice (multichoice) only",
    ]


@pytest.mark.parametrize("kind", ["matching", "essay", "numerical", "ddwtos", "calculated"])
def test_any_other_type_is_named(kind: str) -> None:
    parsed = read(quiz(f'<question type="{kind}"><name><text>Q</text></name></question>'))
    assert parsed.items == ()
    assert [w.reason for w in parsed.warnings] == [
        f"question 'Q' skipped: its type is '{kind}'; the engine imports single-answer "
        "multiple choice (multichoice) only"
    ]


# --- categories ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "code"),
    [
        ("$course$/top/AAISM/D3-B Controls", "D3-B"),
        ("$system$/top/d1-c/Week 2", "D1-C"),
        ("$course$/top/Domain 2/D2-A/extra", "D2-A"),
        ("$course$/top/Week 1", None),
    ],
)
def test_a_category_path_naming_a_code_anywhere_tags_its_questions(
    category: str, code: str | None
) -> None:
    parsed = read(quiz(multichoice("Q", "<p>Stem?</p>"), category=category))
    assert [item.subdomain for item in parsed.items] == [code]
    assert parsed.warnings == ()


def test_a_code_like_category_that_is_no_sub_domain_is_a_warning_with_its_line() -> None:
    parsed = read(quiz(multichoice("Q", "<p>Stem?</p>"), category="$course$/top/D9-Z Other"))
    assert parsed.items[0].subdomain is None
    (warning,) = parsed.warnings
    assert (warning.file, warning.line) == (FILE, 3)
    assert warning.reason.startswith(
        "Moodle category '$course$/top/D9-Z Other' names 'D9-Z', which is not a sub-domain"
    )


def test_a_tag_can_name_the_sub_domain_and_the_difficulty() -> None:
    question = multichoice("Q", "<p>Stem?</p>").replace(
        "  </question>",
        "    <tags><tag><text>D1-B</text></tag><tag><text>difficulty:Hard</text></tag></tags>\n"
        "  </question>",
    )
    (item,) = read(quiz(question)).items
    assert (item.subdomain, item.difficulty) == ("D1-B", "hard")


# --- what cannot be kept -----------------------------------------------------------------------


def test_math_tables_and_images_are_reported_by_item_and_field() -> None:
    stem = (
        "<p>Given the loss <math alttext='L = x^2'><msup><mi>x</mi><mn>2</mn></msup></math>"
        " and the table:</p><table><tr><td rowspan='2'>a</td><td>b</td></tr>"
        "<tr><td>c</td></tr></table><p>and \\(p &lt; 0.05\\), pick one."
        '<img src="@@PLUGINFILE@@/chart.png" alt="loss chart"></p>'
    )
    parsed = read(quiz(multichoice("Maths", stem)))
    (item,) = parsed.items
    assert item.stem == (
        "Given the loss [math: L = x^2] and the table:\n\na | b\nc\n\n"
        "and `\\(p < 0.05\\)`, pick one.[image: loss chart]"
    )
    (warning,) = parsed.warnings
    assert warning.reason == (
        "question 'Maths': changed on import: the question text: an image or embedded media "
        "dropped (its alt text kept); MathML replaced by its alt text or [math]; a table that "
        "does not fit a Markdown table flattened to rows; TeX math kept as its source in code "
        "(the engine does not typeset math)"
    )


def test_a_simple_table_becomes_a_markdown_table_without_a_warning() -> None:
    stem = (
        "<p>Rates:</p><table><tr><th>Model</th><th>Error</th></tr>"
        "<tr><td>A</td><td>2%</td></tr></table>"
    )
    parsed = read(quiz(multichoice("T", stem)))
    assert parsed.items[0].stem == "Rates:\n\n| Model | Error |\n| --- | --- |\n| A | 2% |"
    assert parsed.warnings == ()


@pytest.mark.parametrize(
    ("answer", "what"),
    [
        ('<p><img src="@@PLUGINFILE@@/a.png"></p>', "image"),
        ('<img src="x.png" alt="graph A">', "image"),
        ("<math><mi>x</mi></math>", "math"),
        ("$$x^2 + 1$$", "math"),
        ("\\(\\frac{1}{2}\\)", "math"),
    ],
)
def test_an_answer_that_is_only_an_image_or_math_skips_its_question(answer: str, what: str) -> None:
    parsed = read(
        quiz(multichoice("Pic", "<p>Which graph?</p>", [("100", answer), ("0", "<p>B</p>")]))
    )
    assert parsed.items == ()
    assert [w.reason for w in parsed.warnings] == [
        f"question 'Pic' skipped: answer 1 is only {what}, which the engine cannot show"
    ]


def test_an_image_only_in_feedback_is_a_warning_not_a_skip() -> None:
    parsed = read(quiz(multichoice("F", "<p>Q?</p>", feedback=['<img src="why.png">', "", ""])))
    assert len(parsed.items) == 1
    assert parsed.items[0].rationales[0] == ""
    assert [w.reason for w in parsed.warnings] == [
        "question 'F': changed on import: answer 1 feedback: an image or embedded media "
        "dropped (its alt text kept)"
    ]


def test_html_is_sanitised_scripts_and_handlers_leave_no_trace() -> None:
    stem = (
        '<p onclick="steal()">Pick <a href="javascript:alert(1)">one</a>'
        "<script>alert(1)</script><style>p{}</style></p>"
    )
    (item,) = read(quiz(multichoice("S", stem))).items
    assert item.stem == "Pick one"


# --- questions that cannot be one answer --------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ([("0", "a"), ("0", "b")], "no answer is worth 100%"),
        ([("100", "a"), ("100", "b")], "2 answers are worth 100%; the engine needs exactly one"),
        ([("100", "a")], "1 answer; it needs at least two"),
        ([("100", "a"), ("lots", "b")], "answer 2 has fraction 'lots', not a number"),
        ([("100", "a"), ("0", "<p> </p>")], "answer 2 is empty"),
    ],
)
def test_questions_without_exactly_one_right_answer_are_skipped(
    answers: list[tuple[str, str]], reason: str
) -> None:
    parsed = read(quiz(multichoice("Q", "<p>Stem?</p>", answers)))
    assert parsed.items == ()
    assert [w.reason for w in parsed.warnings] == [f"question 'Q' skipped: {reason}"]


def test_partial_credit_on_several_answers_names_them_in_the_plural() -> None:
    answers = [("100", "a"), ("50", "b"), ("25", "c"), ("0", "d")]
    parsed = read(quiz(multichoice("Q", "<p>Stem?</p>", answers)))
    assert len(parsed.items) == 1
    assert [w.reason for w in parsed.warnings] == [
        "question 'Q': partial credit on answers 2, 3 dropped; the engine scores one answer "
        "right and the others wrong"
    ]


def test_an_empty_question_text_is_skipped() -> None:
    parsed = read(quiz(multichoice("Q", "<p></p>")))
    assert [w.reason for w in parsed.warnings] == [
        "question 'Q' skipped: the question text is empty"
    ]


# --- bad files --------------------------------------------------------------------------------


def test_a_truncated_file_is_a_problem_with_its_line_and_nothing_is_read() -> None:
    whole = (HERE / "moodle_mixed.xml").read_bytes()
    cut = whole[: whole.index(b"<!-- question: 4103")]
    parsed = read(cut, "cut.xml")
    assert parsed.items == ()
    (problem,) = parsed.problems
    assert problem.file == "cut.xml"
    assert problem.line == cut.count(b"\n") + 1
    assert problem.reason.startswith("XML syntax error: no element found")


def test_an_unclosed_tag_names_the_line_where_it_breaks() -> None:
    text = quiz(multichoice("Q", "<p>Stem?</p>")).replace("</name>", "", 1)
    parsed = read(text)
    assert parsed.items == ()
    # <name> is left open, so the parser breaks on the question's closing tag.
    assert parsed.problems[0].line == text.splitlines().index("  </question>") + 1
    assert "mismatched tag" in parsed.problems[0].reason


@pytest.mark.parametrize(
    "hostile",
    [
        '<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        "<quiz><question type='multichoice'><name><text>&xxe;</text></name></question></quiz>",
        '<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<quiz>&b;</quiz>',
    ],
)
def test_entities_are_refused_before_anything_is_read(hostile: str) -> None:
    parsed = read(hostile)
    assert parsed.items == ()
    (problem,) = parsed.problems
    assert problem.reason.startswith("refused: the XML declares a DTD or entities")
    assert "Moodle XML needs neither" in problem.reason
    assert "root:" not in str(parsed)


def test_a_file_that_is_not_utf8_says_so_with_its_line() -> None:
    data = quiz(multichoice("Caf\u00e9", "<p>Stem?</p>")).encode("latin-1")
    parsed = read(data)
    assert parsed.items == ()
    (problem,) = parsed.problems
    assert problem.line == 5
    assert "UTF-8" in problem.reason


def test_another_root_is_not_moodle_xml() -> None:
    parsed = read("<?xml version='1.0'?>\n<questions/>")
    assert [str(p) for p in parsed.problems] == [
        f"{FILE}:2: not Moodle XML: the root element is <questions>, expected <quiz>"
    ]


# --- writing, and reading our own files back ------------------------------------------------------


def _items() -> list[ItemRecord]:
    return [*bundled_subdomain("D1-A")[:4], *bundled_subdomain("D3-C")[:3]]


def test_written_items_read_back_with_everything_the_format_carries() -> None:
    items = _items()
    parsed = read(moodle_xml.write(items, bundled_blueprint()))
    assert parsed.problems == () and parsed.warnings == ()
    assert [
        (f.source_ref, f.stem, f.options, f.answer, f.rationales, f.subdomain, f.difficulty)
        for f in parsed.items
    ] == [
        (i.key, i.stem, i.options, i.answer, i.rationales, i.subdomain, i.difficulty)
        for i in sorted(items, key=lambda i: i.key)
    ]
    assert [f.references for f in parsed.items] == [
        i.references for i in sorted(items, key=lambda i: i.key)
    ]
    assert all(f.general_feedback == "" for f in parsed.items)


def test_awkward_text_survives_the_round_trip() -> None:
    item = dataclasses.replace(
        bundled_item("D1-B-003"),
        stem="Line one  with  spaces\r\nline two <b>not html</b> & ]]> end\n\n- a list\n  - nested",
        options=("`code` *em*", "a & b", "x ]]> y", "Ünïcödé — ok"),
        rationales=("r1\nr2", "", "<script>x</script>", "$$not math$$"),
        references=("Ref <one> & two", "Ref ]]> three"),
    )
    (back,) = read(moodle_xml.write([item], bundled_blueprint())).items
    assert (back.stem, back.options, back.rationales, back.references) == (
        item.stem,
        item.options,
        item.rationales,
        item.references,
    )


def test_the_source_ref_is_written_as_a_tag_and_read_back_by_the_engine() -> None:
    item = dataclasses.replace(bundled_item("D1-B-003"), source_ref="SEC-RISK-07", enemies=())
    data = moodle_xml.write([item], bundled_blueprint())
    assert "<tag><text>source:SEC-RISK-07</text></tag>" in data.decode("utf-8")
    parsed = moodle_xml.parse(data, filename=FILE, blueprint=bundled_blueprint())
    assert parsed.problems == ()
    (back,) = parsed.items
    assert (back.key, back.source_ref) == ("D1-B-003", "SEC-RISK-07")
    plain = moodle_xml.write([bundled_item("D1-B-004")], bundled_blueprint()).decode("utf-8")
    assert "source:" not in plain


def test_the_written_file_has_a_category_per_sub_domain_and_moodle_fields() -> None:
    text = moodle_xml.write(_items(), bundled_blueprint()).decode("utf-8")
    assert text.count('<question type="category">') == 2
    assert "<text>$course$/top/aaism/D1-A " in text and "<text>$course$/top/aaism/D3-C " in text
    assert text.count('<question type="multichoice">') == 7
    assert text.count('fraction="100"') == 7
    assert "<single>true</single>" in text and "<shuffleanswers>false</shuffleanswers>" in text
    assert f"<idnumber>{_items()[0].key}</idnumber>" in text


def test_text_xml_cannot_carry_is_an_export_error_naming_item_and_field() -> None:
    item = dataclasses.replace(bundled_item("D1-B-003"), options=("a\x01", "b", "c", "d"))
    with pytest.raises(ExportError, match=r"item D1-B-003: options.A holds the character U\+0001"):
        moodle_xml.write([item], bundled_blueprint())


def test_write_by_name_and_the_foreign_readers() -> None:
    data = formats.write("moodlexml", _items(), bundled_blueprint())
    assert data == moodle_xml.write(_items(), bundled_blueprint())
    assert formats.xml_format(data) == "moodlexml"
    assert set(FOREIGN_READERS) == {"moodlexml", "qti"}
    via = read_foreign("moodlexml", data, filename=FILE, blueprint=bundled_blueprint())
    assert via == read(data)
    with pytest.raises(ValueError, match="no foreign reader here for 'gift'"):
        read_foreign("gift", data, filename=FILE, blueprint=bundled_blueprint())


# --- properties ----------------------------------------------------------------------------------

xml_texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)).filter(lambda c: not XML_ILLEGAL.match(c)),
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
    item = dataclasses.replace(
        bundled_item("D1-B-003"),
        stem=stem,
        options=tuple(options),
        rationales=tuple(rationales),
        references=tuple(references),
        answer=answer,
    )
    (back,) = read(moodle_xml.write([item], bundled_blueprint())).items
    assert (back.stem, back.options, back.answer, back.rationales, back.references) == (
        item.stem,
        item.options,
        item.answer,
        item.rationales,
        item.references,
    )


@settings(max_examples=examples(200), deadline=None)
@given(
    stem=st.text(max_size=60),
    answer=st.text(max_size=30),
    fraction=st.sampled_from(["100", "0", "50", "-33.3", "x", ""]),
    kind=st.sampled_from(["multichoice", "truefalse", "category", ""]),
)
def test_any_question_content_reads_or_is_refused_without_raising(
    stem: str, answer: str, fraction: str, kind: str
) -> None:
    escaped = stem.replace("]]>", "")
    xml = quiz(
        multichoice("Q", escaped, [("100", "<p>a</p>"), (fraction, answer.replace("]]>", ""))])
    ).replace('type="multichoice"', f'type="{kind}"')
    parsed = read(xml.encode("utf-8", "surrogatepass"))
    assert isinstance(parsed, ForeignParsed)
    assert len(parsed.items) <= 1
    for item in parsed.items:
        assert item.stem.strip() and all(option.strip() for option in item.options)


@settings(max_examples=examples(200), deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_are_read_or_refused_without_raising(data: bytes) -> None:
    for reader in FOREIGN_READERS.values():
        parsed = reader(b"<quiz>" + data, filename=FILE, blueprint=bundled_blueprint())
        assert parsed.items == () or parsed.problems == ()


# --- our own files as complete items (the all-or-nothing import) -----------------------------


@pytest.mark.whole_bank
def test_the_whole_bundled_bank_round_trips_exactly_as_complete_items() -> None:
    bank = load_bank()
    assert bank.ok
    parsed = moodle_xml.parse(
        moodle_xml.write(bank.items, bank.blueprint), filename=FILE, blueprint=bank.blueprint
    )
    assert parsed.problems == () and parsed.warnings == ()
    by_key = {item.key: item for item in parsed.items}
    assert len(by_key) == len(bank.items)
    for original in bank.items:
        back = by_key[original.key]
        assert (back.domain, back.canonical_content()) == (
            original.domain,
            original.canonical_content(),
        ), original.key


def test_enemies_and_the_as_of_date_travel_as_tags() -> None:
    item = dataclasses.replace(
        bundled_item("D1-B-003"), enemies=("D1-B-001",), as_of=dt.date(2026, 11, 30)
    )
    data = moodle_xml.write([item], bundled_blueprint())
    assert b"<tag><text>enemy:D1-B-001</text></tag>" in data
    assert b"<tag><text>as-of:2026-11-30</text></tag>" in data
    parsed = moodle_xml.parse(
        data, filename=FILE, blueprint=bundled_blueprint(), known_keys=("D1-B-001",)
    )
    assert parsed.problems == ()
    assert parsed.items[0].canonical_content() == item.canonical_content()


def test_another_tools_file_as_complete_items_names_what_is_missing() -> None:
    parsed = moodle_xml.parse(
        (HERE / "moodle_mixed.xml").read_bytes(),
        filename="mixed.xml",
        blueprint=bundled_blueprint(),
    )
    assert parsed.items == ()
    reasons = [str(p) for p in parsed.problems]
    assert any(r.startswith("mixed.xml:148:") and "difficulty" in r for r in reasons), reasons
    assert any(r.startswith("mixed.xml:148:") and "references" in r for r in reasons), reasons
    assert (
        "mixed.xml:15: question 'SEC-RISK-07' skipped: 3 answers; the engine needs exactly 4"
        in [str(w) for w in parsed.warnings]
    )


def test_other_than_four_answers_is_skipped_for_complete_items() -> None:
    parsed = moodle_xml.parse(
        quiz(multichoice("Q", "<p>Stem?</p>")).encode(),
        filename=FILE,
        blueprint=bundled_blueprint(),
    )
    assert parsed.items == ()
    assert [w.reason for w in parsed.warnings] == [
        "question 'Q' skipped: 3 answers; the engine needs exactly 4"
    ]


def test_a_broken_file_as_complete_items_is_the_same_problem() -> None:
    parsed = moodle_xml.parse(b"<quiz><question>", filename=FILE, blueprint=bundled_blueprint())
    assert parsed.items == ()
    assert parsed.problems[0].reason.startswith("XML syntax error: no element found")


def test_a_text_far_over_any_field_limit_is_refused_before_it_is_converted() -> None:
    long = "<p>" + "word " * (MAX_TEXT_CHARS // 5) + "</p>"
    data = quiz(multichoice("Short", "<p>Fine</p>"), multichoice("Long", long))
    parsed = read(data)
    assert parsed.items == ()
    [problem] = parsed.problems
    line = data.splitlines().index("    <name><text>Long</text></name>") + 2
    assert problem.line == line  # the <questiontext>'s <text>
    assert problem.reason == (
        f"question 'Long': a text of {len(long):,} characters, far over any item field's "
        f"limit (texts over {MAX_TEXT_CHARS:,} characters are not read)"
    )
    # A text exactly at the cap is read (and converted) as usual.
    fits = "<p>" + "w" * (MAX_TEXT_CHARS - 7) + "</p>"
    assert len(fits) == MAX_TEXT_CHARS
    assert read(quiz(multichoice("Fits", fits))).problems == ()


def test_questions_are_read_as_they_are_parsed_yet_a_cut_file_imports_nothing() -> None:
    data = quiz(multichoice("One", "<p>First?</p>"), multichoice("Two", "<p>Second?</p>"))
    whole = read(data)
    assert [item.source_ref for item in whole.items] == ["One", "Two"]
    cut = read(data[: data.index("<question", data.index("One"))] + "  <question")
    assert cut.items == ()
    assert "XML syntax error" in cut.problems[0].reason
