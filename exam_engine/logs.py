"""Log lines as JSON objects carrying the request id (and the job id inside a job).

python-json-logger writes the records; :class:`RequestIdFilter` stamps the ids. The handler
goes on the root logger once per process, so the app's, gunicorn's error log's and RQ's
records all come out alike on standard error.
"""

from __future__ import annotations

import logging
import os
import sys

from flask import Flask
from pythonjsonlogger.json import JsonFormatter

from exam_engine.services.request_id import RequestIdFilter

_MARK = "exam_engine_handler"
FIELDS = "{asctime}{levelname}{name}{message}{request_id}{job_id}"


def json_formatter() -> logging.Formatter:
    """The formatter: time, level, logger, message, request id, job id (and any extras)."""
    return JsonFormatter(
        FIELDS,
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )


def configure_logging(app: Flask) -> None:
    """Send INFO and up to standard error as JSON (``LOG_FORMAT=text``: plain lines).

    Tests (``TESTING``) keep pytest's own capture, unless they set ``LOG_FORMAT`` themselves.
    """
    fmt = str(app.config["LOG_FORMAT"]).lower()
    if fmt not in ("json", "text"):
        raise ValueError(f"EXAM_ENGINE_LOG_FORMAT: {fmt!r} is not json or text")
    if app.testing and "EXAM_ENGINE_LOG_FORMAT" not in os.environ:
        return
    root = logging.getLogger()
    if any(getattr(handler, _MARK, False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
