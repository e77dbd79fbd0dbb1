"""Registries of named, summarised functions (lint rules, solver strategies), one per name.

CTFd's plugin registries map kinds to classes; here an entry is a plain function, because a
lint rule or a solver strategy holds no state and must stay pure (no request, no session).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class Entry(Generic[F]):
    """A registered function with its name and a one-line summary of what it does."""

    name: str
    summary: str
    run: F


class Registry(dict[str, Entry[F]]):
    """Entries by name, in registration order; registering a name twice is an error."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def add(self, name: str, summary: str, run: F) -> F:
        """Register ``run`` under ``name``; a name already taken raises ValueError."""
        if name in self:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self[name] = Entry(name, summary, run)
        return run

    def register(self, name: str, summary: str) -> Callable[[F], F]:
        """A decorator that adds the decorated function under ``name``."""

        def decorate(run: F) -> F:
            return self.add(name, summary, run)

        return decorate
