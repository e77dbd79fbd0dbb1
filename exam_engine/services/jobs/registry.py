"""The named jobs: each a plain function of a session, its progress callback and arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session


class Progress(Protocol):
    """Report how far a job is, in percent (call it between the job's transactions)."""

    def __call__(self, percent: int) -> None: ...


JobFunction = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class JobSpec:
    """A job's function, how many times it may run, and its label on pages."""

    name: str
    function: JobFunction
    max_attempts: int
    label: str


SPECS: dict[str, JobSpec] = {}
# A job's result may carry a file under this key (bytes): it is stored apart from the result.
OUTPUT = "_output"


def job(
    name: str, *, label: str, max_attempts: int | None = None
) -> Callable[[JobFunction], JobFunction]:
    """Register ``function(session, progress, **arguments)`` as the job ``name``.

    ``max_attempts`` None takes the setting (one more than the retry delays); 1 means never
    retried (work that must not be repeated, such as a mail the server may have taken).
    """

    def register(function: JobFunction) -> JobFunction:
        SPECS[name] = JobSpec(name, function, max_attempts or 0, label)
        return function

    return register


def spec(name: str) -> JobSpec:
    """The registered job ``name`` (the definitions are imported on first use)."""
    from exam_engine.services.jobs import definitions  # noqa: F401  (registers the jobs)

    try:
        return SPECS[name]
    except KeyError:
        raise ValueError(f"job: no job is named {name!r}") from None


def run_function(
    spec_: JobSpec, session: Session, progress: Progress, arguments: dict[str, Any]
) -> dict[str, Any] | None:
    """Call the job's function."""
    return spec_.function(session, progress, **arguments)
