"""The lint registry: findings, rules, and the decorators that register a rule by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from exam_engine.domain.bank import OPTION_LABELS, ItemRecord
from exam_engine.domain.registry import Entry, Registry

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One lint result for an item (or for a file or the bank, with an empty key)."""

    key: str
    file: str
    line: int
    rule: str
    level: Level
    message: str

    def __str__(self) -> str:
        subject = f"{self.key}: " if self.key else ""
        return f"{self.file}:{self.line}: {self.level} [{self.rule}] {subject}{self.message}"


BankCheck = Callable[[Sequence[ItemRecord]], Iterable[Finding]]


ItemCheck = Callable[[ItemRecord], Iterable[Finding]]


Rule = Entry[BankCheck]
RULES: Registry[BankCheck] = Registry("lint rule")


def bank_rule(name: str, summary: str) -> Callable[[BankCheck], BankCheck]:
    """Register a rule that looks at the whole bank at once."""
    return RULES.register(name, summary)


def item_rule(name: str, summary: str) -> Callable[[ItemCheck], ItemCheck]:
    """Register a rule that looks at one item at a time."""

    def register(check: ItemCheck) -> ItemCheck:
        def over_bank(items: Sequence[ItemRecord]) -> Iterator[Finding]:
            for item in items:
                yield from check(item)

        bank_rule(name, summary)(over_bank)
        return check

    return register


def finding(item: ItemRecord, rule: str, level: Level, message: str, at: str = "") -> Finding:
    """Build a finding for an item, located at a field such as ``stem`` or ``options.B``."""
    line = item.line_of(at) if at else item.source.line
    return Finding(item.key, item.source.file, line, rule, level, message)


def option_label(index: int) -> str:
    """An option's letter by index (a number past D)."""
    return OPTION_LABELS[index] if index < len(OPTION_LABELS) else str(index + 1)
