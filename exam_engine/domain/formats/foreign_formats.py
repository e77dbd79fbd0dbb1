"""The readers of other tools' files, by format name, and one entry point over them.

Each reader takes the file's bytes, its name (for ``file:line: reason`` messages) and the
blueprint, and returns a :class:`~exam_engine.domain.formats.foreign.ForeignParsed`; none
raises on bad input. Add a format by adding its reader to :data:`READERS`; a format the
engine also writes itself (QTI, Moodle XML) needs an :data:`ENGINE_OWN` test as well, or
:func:`is_foreign` reads every file of it, the engine's own exports included, as drafts.
"""

from __future__ import annotations

from collections.abc import Callable

from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.formats import csv_foreign, gift_foreign
from exam_engine.domain.formats._common import MANIFEST_NAME, is_zip, read_zip
from exam_engine.domain.formats.foreign import ForeignParsed
from exam_engine.domain.formats.foreign_readers import FOREIGN_READERS
from exam_engine.domain.formats.gift import gift_lines

Reader = Callable[..., ForeignParsed]

READERS: dict[str, Reader] = {
    "gift": gift_foreign.parse,
    "csv": csv_foreign.parse,
    **FOREIGN_READERS,  # moodlexml and qti
}


# How a file in a format that both the engine and other tools write is told apart: the
# engine's own GIFT has item keys as titles, its own CSV a ``key`` column (see each reader).
def _engine_gift(data: bytes) -> bool:
    return gift_foreign.is_engine_gift(gift_lines(data))


def _engine_csv(data: bytes) -> bool:
    end = data.find(b"\n")
    return csv_foreign.is_engine_csv((data if end == -1 else data[:end]).decode("utf-8-sig"))


# Each reads checked UTF-8 bytes only as far as it needs (no decoded copy of a 50 MB file).
ENGINE_OWN: dict[str, Callable[[bytes], bool]] = {
    "gift": _engine_gift,
    "csv": _engine_csv,
}


# The engine's own QTI marks every item with its ``aaism-metadata`` rubric block (before,
# with ``data-aaism-key``; see formats.qti.own_meta), its own Moodle XML every text with
# the ``aaism-markdown`` class (see formats.moodle_xml).
ENGINE_QTI_MARKS = (b'class="aaism-metadata"', b"data-aaism-key")
ENGINE_MOODLE_MARK = b'class="aaism-markdown"'


def is_engine_qti(data: bytes) -> bool:
    """True when a QTI file or package is the engine's own export (its items carry the mark).

    A package that cannot be read is left to the engine's reader, which names the problem.
    """
    if not is_zip(data):
        return any(mark in data for mark in ENGINE_QTI_MARKS)
    members, problems = read_zip(data, "package")
    if problems:
        return True
    # Items carry the mark, the manifest does not: it (up to 64 MB) is not read for it.
    for name in members:
        if name != MANIFEST_NAME:
            content = members[name]
            if any(mark in content for mark in ENGINE_QTI_MARKS):
                return True
    return False


def is_foreign(fmt: str, data: bytes) -> bool:
    """True when ``data`` is another tool's file to read as drafts, not the engine's own.

    A file that is not UTF-8 is left to the engine's own reader, which names the bad byte.
    QTI and Moodle XML are told apart by the marks the engine's own writers leave.
    """
    if fmt not in READERS:
        return False
    if fmt == "qti":
        return not is_engine_qti(data)
    if fmt == "moodlexml":
        return ENGINE_MOODLE_MARK not in data
    own = ENGINE_OWN.get(fmt)
    if own is None:
        return True
    try:
        data.decode("utf-8-sig")  # checked only: the text is not kept
    except UnicodeDecodeError:
        return False
    return not own(data)


def parse_foreign(fmt: str, data: bytes, *, filename: str, blueprint: Blueprint) -> ForeignParsed:
    """Read another tool's file in format ``fmt`` into foreign items, warnings and problems."""
    reader = READERS.get(fmt)
    if reader is None:
        raise ValueError(
            f"no foreign reader for format {fmt!r}; choose one of {', '.join(READERS)}"
        )
    return reader(data, filename=filename, blueprint=blueprint)
