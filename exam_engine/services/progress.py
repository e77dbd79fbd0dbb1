"""How a long use case says how far it is: ``progress(done, total)``, in its own unit.

A job passes its runner's callback (written to the job's row at most once a second); a page
or a command passes nothing and the reports go nowhere. Call it as often as is natural.
"""

from __future__ import annotations

from collections.abc import Callable

Report = Callable[[int, int], None]


def ignore(done: int, total: int) -> None:
    """Report nowhere (the use case was not started by a job)."""


def offset(progress: Report, first: int, total: int) -> Report:
    """The report of one part of the work: its ``n`` done (of its own total) are
    ``first + n`` of the whole work's ``total``."""
    return lambda done, _part_total: progress(first + done, total)
