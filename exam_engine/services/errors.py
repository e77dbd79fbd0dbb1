"""Errors raised by services, mapped to status codes by the web layer."""

from exam_engine.domain.errors import DomainError


class ServiceError(DomainError):
    """Base class; ``status`` is the HTTP status the web layer should use."""

    status = 400


class ValidationFailed(ServiceError):
    """Input is malformed; the message says what and where."""

    status = 400


class NotFound(ServiceError):
    """The object does not exist or is not the caller's to see."""

    status = 404


class Forbidden(ServiceError):
    """The caller may not do this."""

    status = 403


class Conflict(ServiceError):
    """The request conflicts with the current state (duplicate, deadline passed...)."""

    status = 409
