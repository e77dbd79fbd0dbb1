"""GIFT's escapes and markers found by regular expressions give what a character loop gives.

The loops below are the obvious reading of Moodle's rules (a backslash protects the next
character, whatever it is); the module's regular expressions must agree on every text.
"""

from __future__ import annotations

import random

import pytest

from exam_engine.domain.formats import gift


def loop_find(text: str, target: str, start: int = 0) -> int:
    index = start
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            index += 2
            continue
        if text.startswith(target, index):
            return index
        index += 1
    return -1


def loop_unescape(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            nxt = text[index + 1]
            if nxt == "\\" or nxt in gift.ESCAPABLE:
                out.append(nxt)
                index += 2
                continue
            if nxt == "n":
                out.append("\n")
                index += 2
                continue
        out.append(char)
        index += 1
    return "".join(out)


def loop_split(answers: str) -> list[tuple[int, str, str]]:
    pieces: list[tuple[int, str, str]] = []
    marker, begin, index = "", 0, 0
    while index < len(answers):
        char = answers[index]
        if char == "\\":
            index += 2
            continue
        if char in "~=":
            pieces.append((begin, marker, answers[begin:index]))
            marker, begin = char, index + 1
        index += 1
    pieces.append((begin, marker, answers[begin:]))
    return pieces


def texts(count: int = 400) -> list[str]:
    """Seeded random texts dense in backslashes, markers and line breaks."""
    chooser = random.Random(15)
    alphabet = "ab \\\\\\:#={}~n\n#-"
    return [
        "".join(chooser.choice(alphabet) for _ in range(chooser.randrange(0, 30)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("target", ["::", "{", "}", "#", "####", "~", "=", "->"])
def test_find_and_rfind_agree_with_the_character_loop(target: str) -> None:
    for text in texts():
        for start in range(len(text) + 1):
            assert gift._find(text, target, start) == loop_find(text, target, start), text
        last, index = -1, loop_find(text, target)
        while index != -1:
            last, index = index, loop_find(text, target, index + 1)
        assert gift._rfind(text, target) == last, text


def test_unescape_and_split_agree_with_the_character_loop() -> None:
    for text in texts():
        assert gift.unescape(text) == loop_unescape(text), text
        assert gift._split_answers(text) == loop_split(text), text


def test_lines_split_at_crlf_cr_and_lf_alike_from_text_and_from_bytes() -> None:
    text = "\ufeffa\r\nb\rc\n\nd\u2028e"
    expected = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert list(gift._lines_of(text)) == expected
    # From bytes the byte-order mark goes, as decoding with utf-8-sig drops it.
    assert list(gift.gift_lines(text.encode("utf-8"))) == [expected[0][1:], *expected[1:]]
