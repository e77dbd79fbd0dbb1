"""Account mail out of the request: a ``mail.send`` job when a queue is configured.

With Redis (``EXAM_ENGINE_REDIS_URL``) a slow or failing SMTP server never holds a request:
the request records the job and answers; a worker sends the message, retries it when the
server fails, then shows it failed with the server's answer (``/jobs``, admins). Without
Redis (the quick start, most tests) the message is sent in the request as before, so its
failure can still undo what it describes: a registration commits only once its mail went.
With Redis configured but unreachable the job runs in the request too (``mail.send`` is
``here_without_queue``), so a Redis outage does not stop registration or password reset.
Either way each request sends (or queues) exactly one message, whatever the address.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import JobStatus
from exam_engine.services import jobs, mail
from exam_engine.services.jobs import names
from exam_engine.services.transaction import end_read


@dataclass(frozen=True)
class Message:
    """One plain-text message to one address."""

    to: str
    subject: str
    body: str


def send_now(message: Message) -> mail.Delivery | None:
    """Send the message here when no queue is configured (MailNotSent on failure); else None,
    for :func:`send_later` once the caller's transaction has committed."""
    if jobs.queued():
        return None
    return mail.send_mail(message.to, message.subject, message.body)


def send_later(session: Session, message: Message, *, user_id: int | None = None) -> mail.Delivery:
    """Hand the message to a ``mail.send`` job (sent here if the queue cannot be reached);
    MailNotSent when the job failed at once (sent here, and the server refused it).

    Call it outside any transaction. The job keeps the body (it may hold a reset link) only
    until it has finished.
    """
    end_read(session)
    job_id = jobs.enqueue(
        session,
        names.SEND_MAIL,
        user_id=user_id,
        to=message.to,
        subject=message.subject,
        body=message.body,
    )
    assert job_id is not None
    status = jobs.job_view(session, job_id).status
    end_read(session)
    if status == JobStatus.FAILED:
        raise mail.MailNotSent(
            "mail: the message could not be sent just now; try again in a few minutes"
        )
    return mail.Delivery(to=message.to)


def send(session: Session, message: Message, *, user_id: int | None = None) -> mail.Delivery:
    """Send the message here without a queue, else by a job (see the module's docstring)."""
    return send_now(message) or send_later(session, message, user_id=user_id)
