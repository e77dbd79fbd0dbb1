"""Signed, expiring, single-use links for account mail (verify an address, reset a password).

A link carries the user's id and a fingerprint of the account's state: email, password hash
and verified flag, as stored. Following a link changes that state (the address becomes
verified, the password hash changes), so the stored row itself is the marker that makes a
link work once, and a newer link, a password change or a reset kills every older link.
itsdangerous signs and dates the link; its salt keeps a verify link from passing as a reset.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from exam_engine.models import User
from exam_engine.services.errors import ValidationFailed

VERIFY = "verify-email"
RESET = "reset-password"


class LinkRefused(ValidationFailed):
    """A link that is forged, cut short, expired or already used."""

    status = 400


class LinkGone(LinkRefused):
    """A genuine link that has expired or was already used."""

    status = 410


@dataclass(frozen=True)
class Links:
    """What account mail needs from its caller: the signing secret, the time, page addresses.

    :param page: builds the absolute address of a page (``verify``, ``reset``, ``register``),
        with the token when one is given.
    """

    secret: str
    now: float
    page: Callable[[str, str | None], str]
    verify_hours: int = 48
    reset_minutes: int = 60

    def max_age(self, purpose: str) -> int:
        """How many seconds a link for ``purpose`` stays good."""
        return self.verify_hours * 3600 if purpose == VERIFY else self.reset_minutes * 60

    def token(self, purpose: str, user: User) -> str:
        """Sign a link token for ``user`` as it is stored now."""
        payload = {"user": user.id, "state": fingerprint(purpose, user)}
        return str(_serializer(self.secret, purpose, self.now).dumps(payload))

    def link(self, purpose: str, user: User) -> str:
        """The absolute address a mail shows for ``purpose``."""
        page = "verify" if purpose == VERIFY else "reset"
        return self.page(page, self.token(purpose, user))


def fingerprint(purpose: str, user: User) -> str:
    """A digest of the stored state a link is good for; any change to it ends the link."""
    state = f"{purpose}|{user.id}|{user.email}|{user.password_hash}|{user.email_verified}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def follow(session: Session, links: Links, purpose: str, token: str, *, lock: bool = False) -> User:
    """Return the user a link is for, or raise LinkRefused (LinkGone if expired or used).

    :param lock: claim the user's row until the transaction ends (in a transaction that
        uses the link up), so that two requests following one link at once cannot both use it.
    """
    serializer = _serializer(links.secret, purpose, links.now)
    try:
        payload: Any = serializer.loads(token, max_age=links.max_age(purpose))
    except SignatureExpired as error:
        raise LinkGone("link: this link has expired; ask for a new one") from error
    except BadSignature as error:
        raise LinkRefused(
            "link: this link is not valid; copy the whole address from the mail"
        ) from error
    user_id = payload.get("user") if isinstance(payload, dict) else None
    # populate_existing: judge the stored row, not a copy this session loaded earlier.
    user = session.get(User, user_id, populate_existing=True) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        raise LinkGone("link: the account this link was for no longer exists or is closed")
    if payload.get("state") != fingerprint(purpose, user) or (lock and not _claim(session, user)):
        raise LinkGone("link: this link was already used or replaced by a newer one")
    return user


def _claim(session: Session, user: User) -> bool:
    """Take the user's row for this transaction if it still holds the state just read.

    A no-op UPDATE guarded by that state: a second request following the same link waits for
    the first to commit (row lock on PostgreSQL, the write lock on SQLite), then matches no
    row. A SELECT FOR UPDATE would do on PostgreSQL only: SQLite ignores it.
    """
    claimed = session.execute(
        update(User)
        .where(
            User.id == user.id,
            User.email == user.email,
            User.password_hash == user.password_hash,
            User.email_verified == user.email_verified,
        )
        .values(password_hash=User.password_hash)
        .execution_options(synchronize_session=False)
    )
    return bool(cast(CursorResult[Any], claimed).rowcount == 1)


class _ClockSigner(TimestampSigner):
    """A timestamp signer that reads the caller's clock, so tests can date a link."""

    def __init__(self, *args: Any, now: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        """The caller's time, in whole seconds."""
        return int(self._now)


def _serializer(secret: str, purpose: str, now: float) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret, salt=purpose, signer=_ClockSigner, signer_kwargs={"now": now}
    )
