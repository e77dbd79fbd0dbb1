"""Domain exceptions shared by the domain layer and the services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DomainError(Exception):
    """Base class for errors the user can act on."""


class BlueprintError(DomainError):
    """The blueprint or a template definition is inconsistent."""


@dataclass(frozen=True)
class Shortage:
    """One sub-domain that cannot supply as many items as the blueprint asks of it."""

    subdomain: str
    needed: int
    available: int
    # True when the sub-domain has enough eligible items but too many of them are enemies of
    # items already chosen, so the fix is in the enemy lists rather than in the bank's size.
    enemies: bool = False

    def __str__(self) -> str:
        text = f"{self.subdomain} needs {self.needed} eligible items, has {self.available}"
        if self.enemies:
            text += " once enemies of the other chosen items are set aside"
        return text


class AssemblyError(DomainError):
    """An exam form cannot be assembled as the blueprint asks; ``shortages`` says where."""

    def __init__(self, shortages: Sequence[Shortage]) -> None:
        self.shortages: tuple[Shortage, ...] = tuple(shortages)
        super().__init__("cannot assemble the form: " + "; ".join(map(str, self.shortages)))

    def __reduce__(self) -> tuple[type[AssemblyError], tuple[tuple[Shortage, ...]]]:
        # Rebuild from the shortages, not the message, so the error survives pickling
        # (worker processes, task queues).
        return (AssemblyError, (self.shortages,))


class SourceError(DomainError):
    """A source file is invalid; each problem reads "file:line: reason"."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems: tuple[object, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid source file")

    def __reduce__(self) -> tuple[type[SourceError], tuple[tuple[object, ...]]]:
        return (type(self), (self.problems,))


class BlueprintFileError(SourceError, BlueprintError):
    """The blueprint file cannot be read or describes an inconsistent blueprint."""


class BankError(SourceError):
    """The question bank cannot be loaded or imported as it stands."""
