"""The readers of other tools' files by format name, for the import's dispatcher."""

from __future__ import annotations

from collections.abc import Callable

from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.formats import moodle_xml, qti
from exam_engine.domain.formats.foreign import ForeignParsed

ForeignReader = Callable[..., ForeignParsed]
# Each is called as reader(data, filename=..., blueprint=...) and never raises on bad input.
FOREIGN_READERS: dict[str, Callable[..., ForeignParsed]] = {
    "moodlexml": moodle_xml.parse_foreign,
    "qti": qti.parse_foreign,
}


def read_foreign(fmt: str, data: bytes, *, filename: str, blueprint: Blueprint) -> ForeignParsed:
    """Read ``data`` with the foreign reader of ``fmt`` (moodlexml or qti)."""
    try:
        reader = FOREIGN_READERS[fmt]
    except KeyError:
        raise ValueError(
            f"no foreign reader here for {fmt!r}; choose one of {', '.join(FOREIGN_READERS)}"
        ) from None
    return reader(data, filename=filename, blueprint=blueprint)
