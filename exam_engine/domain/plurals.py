"""Counts written with their noun in the right number, for pages, the CLI and messages."""

from __future__ import annotations


def plural(number: int, noun: str) -> str:
    """The noun in the number ``number`` asks for: ``warning`` for 1, ``warnings`` otherwise."""
    return noun if number == 1 else f"{noun}s"


def counted(number: int, noun: str) -> str:
    """A count with its noun in the right number: ``1 warning``, ``0 errors``."""
    return f"{number} {plural(number, noun)}"
