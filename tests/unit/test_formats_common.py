"""What the formats share: validation with outside keys, HTML to Markdown, zips, dispatch."""

from __future__ import annotations

import io
import zipfile

import pytest

from exam_engine.domain import formats
from exam_engine.domain.bank import RawItem
from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain
from exam_engine.domain.formats import _common as common
from exam_engine.domain.formats._markup import html_markdown

BLUEPRINT = Blueprint(
    name="test",
    title="Test",
    domains=(Domain("D1", "One", 1, (Subdomain("D1-A", "D1", "A"),)),),
)


def raw(key: str, line: int, **extra: object) -> RawItem:
    data: dict[str, object] = {
        "key": key,
        "subdomain": "D1-A",
        "difficulty": "easy",
        "stem": "Which is BEST?",
        "options": {"A": "a", "B": "b", "C": "c", "D": "d"},
        "answer": "A",
        "rationale": {"A": "ra", "B": "rb", "C": "rc", "D": "rd"},
        "references": ["Ref"],
        **extra,
    }
    return RawItem("f", line, data, {"enemies.0": line + 1, "enemies.1": line + 2})


def test_enemies_outside_the_file_are_accepted_and_kept_in_order() -> None:
    raws = [raw("D1-A-001", 1, enemies=["D1-A-009", "D1-A-002", "D1-A-009"]), raw("D1-A-002", 10)]
    parsed = common.check_items(raws, BLUEPRINT, known_keys={"D1-A-009"})
    assert parsed.problems == ()
    assert parsed.items[0].enemies == ("D1-A-009", "D1-A-002")


def test_unknown_enemies_keep_their_own_line() -> None:
    raws = [raw("D1-A-001", 1, enemies=["D1-A-009", "D1-A-404"])]
    parsed = common.check_items(raws, BLUEPRINT, known_keys={"D1-A-009"})
    assert [str(p) for p in parsed.problems] == [
        "f:3: item D1-A-001: enemy 'D1-A-404' is not a key in the bank (did you mean 'D1-A-001'?)"
    ]


def test_an_item_cannot_be_its_own_enemy_even_when_the_key_exists_elsewhere() -> None:
    parsed = common.check_items(
        [raw("D1-A-001", 1, enemies=["D1-A-001"])], BLUEPRINT, known_keys={"D1-A-001"}
    )
    assert "lists itself as an enemy" in parsed.problems[0].reason


def test_parser_problems_and_warnings_are_merged_sorted() -> None:
    from exam_engine.domain.bank import Problem

    parsed = common.check_items(
        [raw("D1-A-001", 5)],
        BLUEPRINT,
        problems=[Problem("f", 9, "late"), Problem("f", 2, "early"), Problem("f", 2, "early")],
        warnings=[Problem("f", 3, "w")],
    )
    assert [p.line for p in parsed.problems] == [2, 9]
    assert len(parsed.items) == 1
    assert not parsed.ok


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("  lots \n of\t space  ", "lots of space"),
        (
            "<b>bold</b> <strong>strong</strong> <em>em</em> <i>i</i> <code>x</code>",
            "**bold** **strong** *em* *i* `x`",
        ),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n- b"),
        ("<ol><li>a</li><li>b</li></ol>", "1. a\n2. b"),
        ('<a href="https://x.org">site</a>', "[site](https://x.org)"),
        ('<a href="javascript:alert(1)">site</a>', "site"),
        ("&lt;tag&gt; &amp; &eacute;", "<tag> & é"),
        ("<script>alert(1)</script>Safe", "Safe"),
        ("<pre>  code\n  kept</pre>", "```\n  code\n  kept\n```"),
        ("<p>unclosed <b>bold", "unclosed **bold**"),
    ],
)
def test_html_becomes_markdown(html: str, markdown: str) -> None:
    assert html_markdown(html)[0] == markdown


def test_html_markup_that_is_lost_is_reported() -> None:
    text, dropped = html_markdown('<p>x <img src="a.png" alt="chart"> <blink>y</blink></p>')
    assert text == "x [image: chart] y"
    assert dropped == {"img", "blink"}


def test_zips_are_deterministic_and_read_back() -> None:
    files = {"b.txt": b"two", "a/c.txt": b"one"}
    data = common.write_zip(files)
    assert data == common.write_zip(files)
    assert common.read_zip(data, "z.zip") == (files, [])


def test_a_zip_with_a_repeated_member_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "1")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("a.txt", "2")
    members, problems = common.read_zip(buffer.getvalue(), "z.zip")
    assert members == {}
    assert "appears twice" in problems[0].reason


@pytest.mark.parametrize("name", ["../x", "/x", "C:/x", "a/../../x", "\\x", ".", ""])
def test_member_names_that_leave_the_archive_are_refused(name: str) -> None:
    assert common.safe_member_name(name) is None


def test_member_names_are_normalised() -> None:
    assert common.safe_member_name("a/./b/../c.xml") == "a/c.xml"
    assert common.safe_member_name("a\\b.xml") == "a/b.xml"


def test_dispatch_names_the_choices() -> None:
    with pytest.raises(ValueError, match="choose one of csv, gift, qti"):
        formats.parse("yaml", b"", filename="f", blueprint=BLUEPRINT)
    with pytest.raises(ValueError, match="choose one of yaml, csv, gift, qti"):
        formats.write("docx", [], BLUEPRINT)
    assert formats.FORMATS == ("yaml", "csv", "gift", "qti")
