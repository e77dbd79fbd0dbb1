"""The id of the request (or job) being served, carried into every log line it writes.

A request keeps an incoming ``X-Request-ID`` (when it is short and plain) or gets a new one;
a job it enqueues stores the id and runs under it, so a request and its jobs share one id.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

_REQUEST_ID: ContextVar[str] = ContextVar("exam_engine_request_id", default="")
_JOB_ID: ContextVar[int | None] = ContextVar("exam_engine_job_id", default=None)

# Letters, digits and a few separators, up to 64: anything else is replaced, never logged.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def new_id() -> str:
    """A fresh random request id."""
    return uuid.uuid4().hex


def accept(incoming: str | None) -> str:
    """The incoming id if it is acceptable, else a new one."""
    if incoming and _ACCEPTED.fullmatch(incoming):
        return incoming
    return new_id()


def current() -> str:
    """The request id of the work in hand ('' outside any request or job)."""
    return _REQUEST_ID.get()


def current_job() -> int | None:
    """The id of the job being run, if any."""
    return _JOB_ID.get()


def bind(request_id: str, job_id: int | None = None) -> tuple[object, object]:
    """Make ``request_id`` (and ``job_id``) current; return tokens for :func:`unbind`."""
    return _REQUEST_ID.set(request_id), _JOB_ID.set(job_id)


def unbind(tokens: tuple[object, object]) -> None:
    """Restore the ids current before :func:`bind`."""
    request_token, job_token = tokens
    _REQUEST_ID.reset(request_token)  # type: ignore[arg-type]
    _JOB_ID.reset(job_token)  # type: ignore[arg-type]


class RequestIdFilter(logging.Filter):
    """Stamp each record with ``request_id`` and ``job_id`` (for the JSON formatter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the ids; never drop a record."""
        record.request_id = _REQUEST_ID.get()
        record.job_id = _JOB_ID.get()
        return True
