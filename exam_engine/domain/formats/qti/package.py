"""A content package's item files, as both QTI readers walk them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

from exam_engine.domain.bank import Problem
from exam_engine.domain.formats.qti.names import MANIFEST


class Listed(Protocol):
    """What a reader keeps of one resource its manifest lists."""

    @property
    def href(self) -> str: ...

    @property
    def line(self) -> int: ...


L = TypeVar("L", bound=Listed)


def unlisted(members: Mapping[str, bytes], make: Callable[[str, int], L]) -> list[L]:
    """Without a manifest, every .xml member, in name order (each at line 1)."""
    return [make(name, 1) for name in sorted(members) if name.lower().endswith(".xml")]


def read_members(
    members: Mapping[str, bytes],
    filename: str,
    entries: Sequence[L],
    *,
    listed: bool,
    read: Callable[[bytes, str, L | None], None],
    problems: list[Problem],
    kind: str,
) -> None:
    """Hand each entry's member to ``read`` (with the entry when a manifest listed it).

    A listed resource missing from the zip is a problem at its manifest line; a package with
    no entries and no other problem is one too ("the package lists no ``kind``").
    """
    for entry in entries:
        content = members.get(entry.href)
        if content is None:
            problems.append(
                Problem(
                    f"{filename}/{MANIFEST}",
                    entry.line,
                    f"resource {entry.href!r} is not in the zip",
                )
            )
            continue
        read(content, f"{filename}/{entry.href}", entry if listed else None)
    if not entries and not problems:
        problems.append(Problem(filename, 1, f"the package lists no {kind}"))
