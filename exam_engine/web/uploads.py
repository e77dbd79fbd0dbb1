"""Request size limits: the import page alone accepts bodies as large as a bank file may be.

Every other request keeps ``MAX_CONTENT_LENGTH`` (8 MB). The import endpoint's limit is the
``IMPORT_MAX_BYTES`` setting plus room for the form's other parts, decided before any hook
reads the form (CSRF does, before the view), which is why it lives on the request class.
"""

from __future__ import annotations

from flask import Flask, Request, current_app

from exam_engine.domain.formats.limits import megabytes

IMPORT_ENDPOINT = "authoring.import_upload"
# The multipart headers, the CSRF token and the format field around the file.
FORM_OVERHEAD_BYTES = 64 * 1024


def import_max_bytes() -> int:
    """The largest bank file the import accepts (``IMPORT_MAX_BYTES``)."""
    return int(current_app.config["IMPORT_MAX_BYTES"])


class LimitedRequest(Request):
    """A request whose body limit is the import's on the import endpoint."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and current_app and self.endpoint == IMPORT_ENDPOINT:
            return import_max_bytes() + FORM_OVERHEAD_BYTES
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def too_large_message(request: Request) -> str:
    """The 413 message: how large the request is and what this page accepts."""
    size = request.content_length
    sent = f"The upload is {megabytes(size)}" if size else "The upload is too large"
    if request.endpoint == IMPORT_ENDPOINT:
        return f"{sent}; bank files up to {megabytes(import_max_bytes())} can be imported."
    limit = request.max_content_length
    accepted = f"; this page accepts up to {megabytes(limit)}" if limit else ""
    return f"{sent}{accepted}."


def install(app: Flask) -> None:
    """Use :class:`LimitedRequest` for every request."""
    app.request_class = LimitedRequest
