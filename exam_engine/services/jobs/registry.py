"""The named jobs: each a plain function of a session, its progress callback and arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session


class Progress(Protocol):
    """Report how far a job is: ``done`` of ``total`` in the job's unit (percent by default).

    Call it as often as is natural (each row, say): the runner writes it at most once a
    second. On SQLite it is written only between the job's transactions (one writer).
    """

    def __call__(self, done: int, total: int = 100) -> None: ...


JobFunction = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class JobSpec:
    """A job's function, how many times it may run, its label and progress unit on pages."""

    name: str
    function: JobFunction
    max_attempts: int
    label: str
    # What its progress counts ("412 of 1,000 students"); "percent" when it reports 0-100.
    unit: str = "percent"
    # Arguments too sensitive to keep (a mail's body holds a reset link): blanked in the row
    # once the job has finished, done or failed.
    private: tuple[str, ...] = ()
    # Run in the enqueuing process when Redis cannot be reached (as without Redis), instead of
    # failing: for short work the person is waiting on, such as a mail.
    here_without_queue: bool = False

    def kept(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments a finished job keeps: its private ones blanked."""
        return {key: "(removed)" if key in self.private else v for key, v in arguments.items()}


SPECS: dict[str, JobSpec] = {}
# A job's result may carry a file under this key (bytes): it is stored apart from the result.
OUTPUT = "_output"


def job(
    name: str,
    *,
    label: str,
    max_attempts: int | None = None,
    unit: str = "percent",
    private: tuple[str, ...] = (),
    here_without_queue: bool = False,
) -> Callable[[JobFunction], JobFunction]:
    """Register ``function(session, progress, **arguments)`` as the job ``name``.

    ``max_attempts`` None takes the setting (one more than the retry delays); 1 means never
    retried (work that must not be repeated, such as a mail the server may have taken).
    """

    def register(function: JobFunction) -> JobFunction:
        SPECS[name] = JobSpec(
            name, function, max_attempts or 0, label, unit, private, here_without_queue
        )
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
