"""What the formats share: validation with outside keys, HTML to Markdown, zips, dispatch."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

from exam_engine.domain import formats
from exam_engine.domain.bank import Problem, RawItem
from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain
from exam_engine.domain.formats import _common as common
from exam_engine.domain.formats._markup import element_markdown, html_markdown, local_name

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
    assert formats.FORMATS == ("yaml", "csv", "gift", "qti", "moodlexml")


def test_bytes_format_stops_at_bytes_that_are_not_utf8_without_calling_its_reader() -> None:
    calls: list[bytes] = []

    def read(data: bytes, filename: str, blueprint: Blueprint, known_keys) -> common.Parsed:
        calls.append(data)
        return common.Parsed((), (), ())

    parse = common.bytes_format(read, "Example")
    assert parse.__doc__ == "Parse Example bytes into validated items; never raises on bad input."
    parsed = parse(b"ok\n\xff", filename="f.x", blueprint=BLUEPRINT)
    assert parsed == common.Parsed(
        (),
        (),
        (
            Problem(
                "f.x",
                2,
                "not UTF-8: byte 0xff on this line is not valid UTF-8; save the file as UTF-8",
            ),
        ),
    )
    assert calls == []


@pytest.mark.parametrize(
    ("key", "subdomain"),
    [("D2-B-014", "D2-B"), (" D2-B-014 ", "D2-B"), ("D2-B-x", ""), ("D2B014", ""), ("14", "")],
)
def test_the_subdomain_of_a_key_is_its_prefix_before_a_numeric_tail(
    key: str, subdomain: str
) -> None:
    assert common.subdomain_from_key(key) == subdomain


def enemy_raw(enemies: list[str], lines: dict[str, int]) -> RawItem:
    item = raw("D1-A-001", 1, enemies=enemies)
    return RawItem(item.file, item.line, item.data, lines)


def test_enemy_lines_are_reindexed_when_outside_keys_are_set_aside() -> None:
    lines = {"stem": 5, "enemies.0": 6, "enemies.1": 7, "enemies.2": 8}
    raws = [enemy_raw(["D1-A-009", "D1-A-002", "D1-A-008"], lines), raw("D1-A-002", 20)]
    parsed = common.check_items(raws, BLUEPRINT, known_keys={"D1-A-009", "D1-A-008"})
    assert parsed.problems == ()
    assert parsed.items[0].enemies == ("D1-A-009", "D1-A-002", "D1-A-008")
    # Validation saw only the one enemy in the batch, at its own line.
    assert dict(parsed.items[0].field_lines) == {"stem": 5, "enemies.0": 7}


def test_each_kept_enemy_keeps_its_line_after_an_outside_key_is_set_aside() -> None:
    lines = {"enemies.0": 2, "enemies.1": 3, "enemies.2": 4, "enemies.3": 5}
    raws = [enemy_raw(["D1-A-009", "D1-A-401", "D1-A-402", "D1-A-403"], lines)]
    parsed = common.check_items(raws, BLUEPRINT, known_keys={"D1-A-009"})
    assert [str(p) for p in parsed.problems] == [
        f"f:{line}: item D1-A-001: enemy '{key}' is not a key in the bank "
        "(did you mean 'D1-A-001'?)"
        for line, key in ((3, "D1-A-401"), (4, "D1-A-402"), (5, "D1-A-403"))
    ]


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<b><i>x</b> y", "***x*** y"),  # closing an outer tag closes the inner one too
        ("<a href>site</a>", "site"),  # an empty link target is no link
        ('<img alt="chart"/> x', "[image: chart] x"),
        ("x<img alt/>", "x"),
    ],
)
def test_html_fragments_with_unclosed_and_valueless_markup(html: str, markdown: str) -> None:
    assert html_markdown(html)[0] == markdown


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


MIB = 1024 * 1024


def test_a_member_exactly_at_the_size_limit_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "MAX_MEMBER_BYTES", MIB)
    files = {"a.xml": b"x" * MIB}
    assert common.read_zip(zipped(files), "z.zip") == (files, [])


def test_a_member_one_byte_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "MAX_MEMBER_BYTES", MIB)
    members, problems = common.read_zip(zipped({"a.xml": b"x" * (MIB + 1)}), "z.zip")
    assert members == {}
    assert [str(p) for p in problems] == [
        "z.zip:1: zip member 'a.xml' is larger than 1 MB once inflated"
    ]


def test_the_total_inflated_size_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "MAX_ZIP_TOTAL_BYTES", 2 * MIB)
    exact = {"a.xml": b"x" * MIB, "b.xml": b"y" * MIB}
    assert common.read_zip(zipped(exact), "z.zip") == (exact, [])
    members, problems = common.read_zip(zipped({**exact, "c.xml": b"z"}), "z.zip")
    assert members == {}
    assert [str(p) for p in problems] == ["z.zip:1: the zip inflates to more than 2 MB"]


def test_the_member_count_is_bounded_and_folders_do_not_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(common, "MAX_ZIP_MEMBERS", 2)
    files = {"d/": b"", "d/a.xml": b"1", "b.xml": b"2"}
    assert common.read_zip(zipped(files), "z.zip") == ({"d/a.xml": b"1", "b.xml": b"2"}, [])
    members, problems = common.read_zip(zipped({**files, "c.xml": b"3"}), "z.zip")
    assert members == {}
    assert [str(p) for p in problems] == ["z.zip:1: the zip holds 3 files; at most 2 are read"]


def test_an_encrypted_member_is_refused() -> None:
    data = bytearray(zipped({"a.xml": b"1"}))
    # Set the encryption flag bit in the central directory entry, where zipfile reads it.
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1
    members, problems = common.read_zip(bytes(data), "z.zip")
    assert members == {}
    assert [str(p) for p in problems] == ["z.zip:1: zip member 'a.xml' is encrypted"]


def test_a_member_leaving_the_archive_is_refused_by_its_name() -> None:
    members, problems = common.read_zip(zipped({"ok.xml": b"1", "../x.xml": b"2"}), "z.zip")
    assert members == {}
    assert [str(p) for p in problems] == [
        "z.zip:1: zip member '../x.xml' points outside the archive"
    ]


def test_a_damaged_archive_names_the_error() -> None:
    members, problems = common.read_zip(b"PK\x03\x04 broken", "z.zip")
    assert members == {}
    assert [str(p) for p in problems] == [
        "z.zip:1: not a readable zip archive (BadZipFile: File is not a zip file)"
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"PK\x03\x04rest", True), (b"PK\x05\x06", True), (b"PK\x03", False), (b"<xml", False)],
)
def test_zips_are_recognised_by_their_signature(data: bytes, expected: bool) -> None:
    assert common.is_zip(data) is expected


def test_written_zips_are_deflated_with_fixed_times_and_modes() -> None:
    data = common.write_zip({"b.txt": b"two" * 50, "a.txt": b"one"})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == ["b.txt", "a.txt"]
    for info in infos:
        assert info.date_time == (2000, 1, 1, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.external_attr == 0o644 << 16


def test_every_text_field_of_an_item_is_named_for_format_checks() -> None:
    from tests.unit.formats_golden import AWKWARD

    assert common.item_texts(AWKWARD) == [
        ("stem", AWKWARD.stem),
        ("options.A", "a"),
        ("options.B", "b\nc"),
        ("options.C", "c"),
        ("options.D", "d"),
        ("rationale.A", "ra"),
        ("rationale.B", "rb"),
        ("rationale.C", ""),
        ("rationale.D", "rd\n"),
        ("references.0", "R1"),
        ("references.1", "R<2>\nx"),
        ("enemies.0", 'E"1'),
        ("enemies.1", "E\t2&<>\r\n"),
    ]


def test_problems_are_ordered_by_file_line_then_reason_without_repeats() -> None:
    found = [Problem("b", 1, "x"), Problem("a", 9, "z"), Problem("a", 9, "y"), Problem("b", 1, "x")]
    assert common.ordered(found) == (
        Problem("a", 9, "y"),
        Problem("a", 9, "z"),
        Problem("b", 1, "x"),
    )


@pytest.mark.parametrize(
    ("html", "markdown", "dropped"),
    [
        ("<ol><li>a</li><p>x</p><li>b</li></ol>", "1. a\nx\n2. b", set()),
        ("one<hr>two", "one\n\n---\n\ntwo", set()),
        ("<pre>a  b\n  c</pre>after", "```\na  b\n  c\n```\n\nafter", set()),
        ("<b><p>x</p><p>y</p></b>", "**x\n\ny**", set()),
        ("<b> </b>z", "z", set()),
        ("<i></i>", "", set()),
        ("<br>", "", set()),
        (
            "<a href='data:text/html,x'>d</a> <a href='JavaScript:x'>j</a> "
            "<a href=' https://a.b '> l </a> <a href='https://x'></a>",
            "d j [l](https://a.b)",
            set(),
        ),
        ("<img alt=' '>y<img src=x>", "y", {"img"}),
        ("<style>p{}</style><title>t</title>Body", "Body", {"style", "title"}),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "| a | b |\n| --- | --- |", set()),
        (
            "<table><tr><th>k</th><th>v|w</th></tr><tr><td><b>x</b></td></tr></table>",
            "| k | v\\|w |\n| --- | --- |\n| **x** |  |",
            set(),
        ),
        (
            "<p>t</p><table><tr><td rowspan='2'>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
            "t\n\na | b\nc",
            {"table"},
        ),
        ("<table><tr><td><p>a</p><p>b</p></td></tr></table>", "a b", {"table"}),
        ("<table></table>x", "x", set()),
        ("x<math alttext='x^2'><mi>x</mi><mn>2</mn></math>", "x[math: x^2]", {"math"}),
        ("<math><mi>y</mi></math>", "[math]", {"math"}),
        (
            "<svg><title>t</title></svg><video title='clip'></video>",
            "[image: clip]",
            {"svg", "video"},
        ),
        ("<div>a<div>b</div>c</div>", "a\n\nb\n\nc", set()),
        (
            "text <span>in <u>span</u></span> and <foo>unknown</foo>",
            "text in span and unknown",
            {"foo"},
        ),
        ("<p>  a\n  b  </p>", "a b", set()),
        ("<li>loose</li>", "loose", set()),
        ("<em>a<br>b</em>", "*a\nb*", set()),
        ("a\n\n\nb", "a b", set()),
        ("<p></p><p>x</p>", "x", set()),
        ("<b><script>s</script>t</b>", "**t**", {"script"}),
        ("<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>", "- a\n- b", set()),
        ("<h1>T</h1>body", "T\n\nbody", set()),
        ("<ul></ul>x", "x", set()),
        ("<b><ul><li>a</li></ul></b>", "**- a**", set()),
    ],
)
def test_each_kind_of_html_markup_converts_exactly(
    html: str, markdown: str, dropped: set[str]
) -> None:
    assert html_markdown(html) == (markdown, frozenset(dropped))


@pytest.mark.parametrize(
    ("xml", "markdown"),
    [
        ("<div><p>a  b</p><p></p><p>c<br/>d</p></div>", "a  b\n\n\n\nc\nd"),
        ("<div>  raw  text </div>", "  raw  text "),
        ("<div><p> x </p>  <p>y</p></div>", " x \n\ny"),
        ("<div>a<!-- c -->b</div>", "ab"),
        ("<div></div>", ""),
        ("<div><ul><li>a<ul><li>b</li></ul></li><li>c</li></ul></div>", "- a\n  - b\n- c"),
        ("<div><ol><li>a</li><li>b<ol><li>c</li></ol></li></ol></div>", "1. a\n2. b\n  1. c"),
        ("<div>x<pre> a\n b</pre></div>", "x\n\n```\n a\n b\n```"),
        ("<div><hr/>y</div>", "---\n\ny"),
    ],
)
def test_verbatim_reading_keeps_whitespace_empty_paragraphs_and_list_nesting(
    xml: str, markdown: str
) -> None:
    assert element_markdown(ET.fromstring(xml), verbatim=True) == (markdown, frozenset())


def test_skipped_elements_lose_their_text_but_not_their_tail() -> None:
    element = ET.fromstring("<div>a<skip>no</skip>b</div>")
    text, _ = element_markdown(element, verbatim=False, skip=lambda el: el.tag == "skip")
    assert text == "ab"


@pytest.mark.parametrize(("tag", "name"), [("{ns}P", "p"), ("x}y}Z", "z"), (ET.Comment, "")])
def test_local_names_drop_the_namespace_and_case(tag: object, name: str) -> None:
    assert local_name(tag) == name


@pytest.mark.parametrize("name", ["..", "c:/x", "z:x", "\\\\server\\x"])
def test_parent_and_drive_paths_are_refused(name: str) -> None:
    assert common.safe_member_name(name) is None


def test_members_whose_names_normalise_alike_are_a_repeat() -> None:
    assert common.read_zip(zipped({"a.txt": b"1", "./a.txt": b"2"}), "z.zip") == (
        {},
        [Problem("z.zip", 1, "zip member 'a.txt' appears twice")],
    )


def test_the_manifest_may_inflate_past_the_member_limit_up_to_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A package's manifest lists every item with its metadata: 13,000 realistic QTI items
    # make a 34 MB one, over the 20 MB each other member may inflate to.
    monkeypatch.setattr(common, "MAX_MEMBER_BYTES", MIB)
    monkeypatch.setattr(common, "MAX_MANIFEST_BYTES", 2 * MIB)
    manifest = b"<manifest>" + b" " * (MIB + MIB // 2) + b"</manifest>"
    members, problems = common.read_zip(zipped({"imsmanifest.xml": manifest}), "z.zip")
    assert problems == []
    assert members["imsmanifest.xml"] == manifest
    # Any other member of that size is still refused, and so is a manifest past its own cap.
    _, problems = common.read_zip(zipped({"items/a.xml": manifest}), "z.zip")
    assert [str(p) for p in problems] == [
        "z.zip:1: zip member 'items/a.xml' is larger than 1 MB once inflated"
    ]
    too_big = b" " * (2 * MIB + 1)
    _, problems = common.read_zip(zipped({"imsmanifest.xml": too_big}), "z.zip")
    assert [str(p) for p in problems] == [
        "z.zip:1: zip member 'imsmanifest.xml' is larger than 2 MB once inflated"
    ]


def test_the_default_manifest_cap_stops_a_manifest_bomb() -> None:
    # 64 MB and a byte of spaces deflate to about 64 KB: a bomb, refused while inflating.
    bomb = b" " * (common.MAX_MANIFEST_BYTES + 1)
    members, problems = common.read_zip(zipped({"imsmanifest.xml": bomb}), "z.zip")
    assert members == {}
    assert [str(p) for p in problems] == [
        "z.zip:1: zip member 'imsmanifest.xml' is larger than 64 MB once inflated"
    ]


def test_members_are_read_when_asked_for_not_held() -> None:
    files = {"a.xml": b"1" * 1000, "b.xml": b"2"}
    members, problems = common.read_zip(zipped(files), "z.zip")
    assert problems == []
    assert isinstance(members, common.ZipMembers)
    assert sorted(members) == ["a.xml", "b.xml"]
    assert members["a.xml"] == files["a.xml"]
    assert members["a.xml"] is not members["a.xml"]  # inflated on each read, never kept
    assert members.get("c.xml") is None
