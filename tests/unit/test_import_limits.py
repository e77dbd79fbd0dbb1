"""Import limits: the size cap, per-field caps, the cut problem list and "not UTF-8" (issue 15)."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest

from exam_engine.domain.bank import ItemRecord, Problem, SourceRef
from exam_engine.domain.formats import csv_format, gift, qti
from exam_engine.domain.formats.limits import (
    DEFAULT_FIELD_LIMITS,
    FieldLimits,
    ImportLimits,
    capped,
    field_problems,
    megabytes,
    more_line,
    size_problem,
    utf8_problem,
    xml_encoding_problem,
)
from question_bank import BUNDLED_BLUEPRINT, load_bank, load_blueprint
from question_bank.loader import read_items_file

BLUEPRINT = load_blueprint(BUNDLED_BLUEPRINT)


def record(**changes: object) -> ItemRecord:
    base = ItemRecord(
        key="D1-A-001",
        subdomain="D1-A",
        domain="D1",
        stem="Which step is BEST?",
        options=("One", "Two", "Three", "Four"),
        answer=1,
        rationales=("Why one.", "Why two.", "Why three.", "Why four."),
        references=("ISO/IEC 42001:2023",),
        difficulty="medium",
        source=SourceRef("bank.yaml", 3),
        field_lines={"stem": 5, "options.B": 8, "rationale.C": 14, "references": 17},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# --- the size cap -------------------------------------------------------------------------


def test_a_file_at_the_cap_passes_and_one_byte_more_is_named_with_its_size_and_the_cap() -> None:
    cap = 50 * 1024 * 1024
    assert size_problem("bank.csv", cap, cap) is None
    problem = size_problem("bank.csv", cap + 1, cap)
    assert problem == Problem(
        "bank.csv",
        1,
        "the file is 50.0 MB (52,428,801 bytes); the import limit is 50 MB: "
        "split it into smaller files",
    )


@pytest.mark.parametrize(
    ("size", "text"),
    [(512, "512 bytes"), (2048, "2 KB"), (50 * 2**20, "50 MB"), (int(52.4 * 2**20), "52.4 MB")],
)
def test_sizes_read_as_people_write_them(size: int, text: str) -> None:
    assert megabytes(size) == text


# --- settings -----------------------------------------------------------------------------


def test_limits_default_to_the_documented_values() -> None:
    limits = ImportLimits.from_config({})
    assert limits.max_bytes == 50 * 1024 * 1024
    assert limits.fields == DEFAULT_FIELD_LIMITS
    assert (limits.fields.stem, limits.fields.option, limits.fields.rationale) == (
        10_000,
        1_000,
        4_000,
    )


def test_field_limits_are_overridden_one_by_one() -> None:
    limits = ImportLimits.from_config(
        {"IMPORT_MAX_BYTES": 1000, "ITEM_FIELD_LIMITS": {"stem": 20_000}}
    )
    assert limits.max_bytes == 1000
    assert limits.fields.stem == 20_000
    assert limits.fields.option == DEFAULT_FIELD_LIMITS.option


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"IMPORT_MAX_BYTES": 0}, "IMPORT_MAX_BYTES must be a whole number"),
        ({"IMPORT_MAX_BYTES": "50MB"}, "IMPORT_MAX_BYTES must be a whole number"),
        ({"ITEM_FIELD_LIMITS": {"stems": 5}}, "unknown field limit stems"),
        ({"ITEM_FIELD_LIMITS": {"stem": -1}}, "field limit 'stem' must be a whole number"),
        ({"ITEM_FIELD_LIMITS": {"stem": True}}, "field limit 'stem' must be a whole number"),
        ({"ITEM_FIELD_LIMITS": [1]}, "ITEM_FIELD_LIMITS must map field names"),
    ],
)
def test_a_bad_setting_is_refused_with_its_name(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        ImportLimits.from_config(config)
    assert message in str(caught.value)


# --- per-field caps -----------------------------------------------------------------------


def test_an_item_within_every_limit_has_no_problem() -> None:
    assert field_problems([record(stem="x" * 10_000)]) == []


def test_an_over_long_stem_names_the_file_line_item_field_length_and_limit() -> None:
    [problem] = field_problems([record(stem="x" * 52_000_000)])
    assert str(problem) == (
        "bank.yaml:5: item 'D1-A-001' stem is 52,000,000 characters; the limit is 10,000"
    )


def test_every_limited_field_is_checked_at_its_own_line() -> None:
    limits = FieldLimits(stem=10, option=3, rationale=5, reference=4, references=1, key=8)
    item = record(
        key="D1-A-0001",
        options=("One", "Twoo", "Six", "Ten"),
        rationales=("Why.", "Why.", "Why three.", "Why."),
        references=("ISO 1", "NIST"),
        stem="Short?",
    )
    found = {(p.line, p.reason) for p in field_problems([item], limits)}
    name = "item 'D1-A-0001'"
    assert found == {
        (3, f"{name} key is 9 characters; the limit is 8"),
        (8, f"{name} option B is 4 characters; the limit is 3"),
        (14, f"{name} rationale C is 10 characters; the limit is 5"),
        (17, f"{name} reference 1 is 5 characters; the limit is 4"),
        (17, f"{name} lists 2 references; the limit is 1"),
    }


# --- the cut list -------------------------------------------------------------------------


def test_37000_problems_are_cut_to_50_and_a_count_of_the_rest() -> None:
    problems = [Problem("big.csv", line, "bad difficulty") for line in range(37_000, 0, -1)]
    shown, more = capped(problems)
    assert [p.line for p in shown] == list(range(1, 51))
    assert more == 36_950
    assert more_line(more) == "... and 36,950 more problems"


def test_a_short_list_is_not_cut() -> None:
    shown, more = capped([Problem("f", 2, "b"), Problem("f", 1, "a")])
    assert [p.line for p in shown] == [1, 2]
    assert more == 0
    assert more_line(0) == ""
    assert more_line(1) == "... and 1 more problem"


# --- encodings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        ("key,stem\n".encode("utf-16"), 1, "the file is UTF-16"),
        ("key,stem\n".encode("utf-16-le"), 1, "looks like UTF-16"),
        ("key,stem\n".encode("utf-32"), 1, "the file is UTF-32"),
        (b"key,stem\nD1-A-001,caf\xe9\n", 2, "byte 0xe9 on this line is not valid UTF-8"),
    ],
)
def test_bytes_that_are_not_utf8_say_so(data: bytes, line: int, words: str) -> None:
    problem = utf8_problem(data, "bank.csv")
    assert problem is not None
    assert problem.line == line
    assert problem.reason.startswith("not UTF-8")
    assert words in problem.reason


def test_utf8_with_or_without_a_byte_order_mark_passes() -> None:
    assert utf8_problem("caf\u00e9".encode(), "f") is None
    assert utf8_problem("\ufeffcaf\u00e9".encode(), "f") is None


def test_xml_declaring_another_encoding_is_not_utf8() -> None:
    data = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<qti-assessment-item/>'
    problem = xml_encoding_problem(data, "item.xml")
    assert problem is not None
    assert problem.reason == (
        "not UTF-8: the XML declaration says encoding='ISO-8859-1'; save the file as UTF-8"
    )
    assert xml_encoding_problem(b'<?xml version="1.0" encoding="utf-8"?><a/>', "f") is None
    assert xml_encoding_problem(b"<a/>", "f") is None


def _only(parsed: object) -> Problem:
    problems = parsed.problems  # type: ignore[attr-defined]
    assert len(problems) == 1, problems
    return problems[0]  # type: ignore[no-any-return]


QTI_ITEM = (
    '<?xml version="1.0" encoding="{enc}"?>\n'
    '<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" '
    'identifier="q1" title="caf\u00e9"/>\n'
)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (QTI_ITEM.format(enc="UTF-16").encode("utf-16"), "the file is UTF-16"),
        (QTI_ITEM.format(enc="UTF-16").encode("utf-16-le"), "looks like UTF-16"),
        (QTI_ITEM.format(enc="ISO-8859-1").encode("latin-1"), "encoding='ISO-8859-1'"),
        (QTI_ITEM.format(enc="windows-1252").encode("cp1252"), "encoding='windows-1252'"),
    ],
)
def test_a_qti_item_in_another_encoding_is_not_utf8(data: bytes, words: str) -> None:
    problem = _only(qti.parse(data, filename="item.xml", blueprint=BLUEPRINT))
    assert problem.file == "item.xml"
    assert problem.reason.startswith("not UTF-8")
    assert words in problem.reason


def test_bad_bytes_inside_a_qti_zip_member_name_the_member_and_line() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("item.xml", b'<?xml version="1.0"?>\n<a>\n<b>caf\xe9</b>\n</a>\n')
    problem = _only(qti.parse(buffer.getvalue(), filename="pack.zip", blueprint=BLUEPRINT))
    assert problem.file == "pack.zip/item.xml"
    assert problem.line == 3
    assert problem.reason.startswith("not UTF-8: byte 0xe9")


@pytest.mark.parametrize("module", [csv_format, gift])
def test_a_utf16_text_file_is_not_utf8(module: object) -> None:
    data = "::q1:: Which? {=A ~B ~C ~D}\n".encode("utf-16")
    parsed = module.parse(data, filename="bank.txt", blueprint=BLUEPRINT)  # type: ignore[attr-defined]
    problem = _only(parsed)
    assert problem.reason == "not UTF-8: the file is UTF-16; save it as UTF-8"


def test_a_utf16_yaml_file_is_not_utf8(tmp_path) -> None:
    path = tmp_path / "D1-A.yaml"
    path.write_bytes("subdomain: D1-A\nitems: []\n".encode("utf-16"))
    _, problems = read_items_file(path, "D1-A.yaml")
    assert [p.reason for p in problems] == ["not UTF-8: the file is UTF-16; save it as UTF-8"]


# --- the loader -----------------------------------------------------------------------------


def test_a_yaml_file_over_the_cap_is_refused_before_it_is_read(tmp_path) -> None:
    path = tmp_path / "D1-A.yaml"
    path.write_bytes(b"subdomain: D1-A\nitems:\n" + b"# padding\n" * 200)
    _, problems = read_items_file(path, "D1-A.yaml", max_bytes=1000)
    [problem] = problems
    assert problem.file == "D1-A.yaml"
    assert problem.reason.startswith(
        "the file is 2 KB (2,023 bytes); the import limit is 1,000 bytes"
    )


def test_the_loader_names_an_over_long_field(tmp_path) -> None:
    items = tmp_path / "items"
    items.mkdir()
    stem = "word " * 3000
    (items / "D1-A.yaml").write_text(
        "subdomain: D1-A\nitems:\n"
        "  - key: D1-A-001\n"
        "    difficulty: medium\n"
        f"    stem: {stem.strip()} Which is BEST?\n"
        "    options: {A: one, B: two, C: three, D: four}\n"
        "    answer: B\n"
        "    rationale: {A: why, B: why, C: why, D: why}\n"
        "    references: [ISO/IEC 42001:2023]\n",
        encoding="utf-8",
    )
    loaded = load_bank(items, blueprint=BLUEPRINT)
    assert [str(p) for p in loaded.problems] == [
        f"{items / 'D1-A.yaml'}:5: item 'D1-A-001' stem is 15,014 characters; the limit is 10,000"
    ]
    assert not loaded.ok
