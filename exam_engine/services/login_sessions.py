"""Signed-in sessions kept on the server: start, load, end one, end all of a user's.

The cookie holds only a random key; the session itself is a stored record (a database row by
default, a Redis hash when Redis is configured) that logout, a password change and a
deactivation delete, so a copied or replayed cookie stops working at once. Sessions also
end by themselves after an idle and an absolute timeout (domain/session_expiry.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from exam_engine.domain.session_expiry import SessionTimeouts, expires_at, is_expired, needs_touch
from exam_engine.models import LoginSession, User, utcnow
from exam_engine.services.transaction import transaction

DEFAULT_TIMEOUTS = SessionTimeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


@dataclass(frozen=True)
class StoredSession:
    """What the server keeps about one signed-in browser."""

    user_id: int
    created_at: datetime
    last_seen_at: datetime
    # The user row when the store read it in the same query (the database store does).
    user: User | None = field(default=None, compare=False)


class SessionStore(Protocol):
    """Where sessions live; database writes join the caller's transaction."""

    def add(self, db: Session, key_hash: str, record: StoredSession, ends: datetime) -> None:
        """Store a new session that ends by itself at ``ends``."""

    def get(self, db: Session, key_hash: str) -> StoredSession | None:
        """Return the stored session, or None."""

    def touch(self, db: Session, key_hash: str, now: datetime, ends: datetime) -> None:
        """Record a use of the session at ``now``; it now ends by itself at ``ends``."""

    def remove(self, db: Session, key_hash: str) -> None:
        """Delete one session (nothing happens if it is gone already)."""

    def remove_user(self, db: Session, user_id: int, keep_hash: str | None) -> int:
        """Delete every session of a user but ``keep_hash``; return how many were deleted."""


class DatabaseStore:
    """Sessions as rows of ``login_sessions`` (the default: nothing else to run)."""

    def add(self, db: Session, key_hash: str, record: StoredSession, ends: datetime) -> None:
        """Add the row in the caller's transaction."""
        db.add(
            LoginSession(
                key_hash=key_hash,
                user_id=record.user_id,
                created_at=record.created_at,
                last_seen_at=record.last_seen_at,
            )
        )

    def get(self, db: Session, key_hash: str) -> StoredSession | None:
        """Read the row, and its user with it."""
        # The user comes in the same query: one round trip a request for both, not two.
        row = db.execute(
            select(LoginSession, User)
            .join(User, User.id == LoginSession.user_id)
            .where(LoginSession.key_hash == key_hash)
        ).first()
        if row is None:
            return None
        login, user = row
        return StoredSession(login.user_id, login.created_at, login.last_seen_at, user)

    def touch(self, db: Session, key_hash: str, now: datetime, ends: datetime) -> None:
        """Move last_seen_at forward."""
        row = db.get(LoginSession, key_hash)
        if row is not None:
            row.last_seen_at = now

    def remove(self, db: Session, key_hash: str) -> None:
        """Delete the row."""
        db.execute(delete(LoginSession).where(LoginSession.key_hash == key_hash))

    def remove_user(self, db: Session, user_id: int, keep_hash: str | None) -> int:
        """Delete the user's rows but one."""
        statement = delete(LoginSession).where(LoginSession.user_id == user_id)
        if keep_hash is not None:
            statement = statement.where(LoginSession.key_hash != keep_hash)
        return db.execute(statement).rowcount  # type: ignore[attr-defined,no-any-return]

    def remove_expired(self, db: Session, user_id: int | None, now: datetime) -> int:
        """Delete the sessions that ended by themselves, the user's or (None) everyone's;
        return how many (rows are not deleted on expiry)."""
        statement = delete(LoginSession).where(
            or_(
                LoginSession.last_seen_at <= now - _timeouts.idle,
                LoginSession.created_at <= now - _timeouts.absolute,
            )
        )
        if user_id is not None:
            statement = statement.where(LoginSession.user_id == user_id)
        return db.execute(statement).rowcount  # type: ignore[attr-defined,no-any-return]


_TOUCH_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'last_seen_at', ARGV[1])
  redis.call('EXPIREAT', KEYS[1], ARGV[2])
end
"""


class RedisStore:
    """Sessions as Redis hashes that expire by themselves, with a set of keys per user."""

    def __init__(self, client: Any, prefix: str = "exam-engine:") -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, key_hash: str) -> str:
        return f"{self.prefix}login-session:{key_hash}"

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}login-sessions-of:{user_id}"

    def add(self, db: Session, key_hash: str, record: StoredSession, ends: datetime) -> None:
        """Write the hash with its time to live, and list it under its user."""
        pipe = self.client.pipeline()
        pipe.hset(
            self._key(key_hash),
            mapping={
                "user_id": record.user_id,
                "created_at": record.created_at.timestamp(),
                "last_seen_at": record.last_seen_at.timestamp(),
            },
        )
        pipe.expireat(self._key(key_hash), _whole_seconds(ends))
        pipe.sadd(self._user_key(record.user_id), key_hash)
        # The index outlives every session in it: none lasts past the absolute timeout.
        pipe.expire(self._user_key(record.user_id), int(_timeouts.absolute.total_seconds()) + 60)
        pipe.execute()

    def get(self, db: Session, key_hash: str) -> StoredSession | None:
        """Read the hash."""
        fields = self.client.hgetall(self._key(key_hash))
        if not fields:
            return None
        value = {_text(name): _text(field) for name, field in fields.items()}
        return StoredSession(
            int(value["user_id"]),
            datetime.fromtimestamp(float(value["created_at"]), UTC),
            datetime.fromtimestamp(float(value["last_seen_at"]), UTC),
        )

    def touch(self, db: Session, key_hash: str, now: datetime, ends: datetime) -> None:
        """Move last_seen_at and the time to live forward, if the session still exists."""
        # One script, so a logout between the check and the write cannot leave a ghost hash.
        self.client.eval(
            _TOUCH_SCRIPT, 1, self._key(key_hash), now.timestamp(), _whole_seconds(ends)
        )

    def remove(self, db: Session, key_hash: str) -> None:
        """Delete the hash (its entry in the user's set is pruned by remove_user)."""
        self.client.delete(self._key(key_hash))

    def remove_user(self, db: Session, user_id: int, keep_hash: str | None) -> int:
        """Delete every session listed under the user but ``keep_hash``."""
        members = {_text(member) for member in self.client.smembers(self._user_key(user_id))}
        doomed = sorted(members - {keep_hash})
        if not doomed:
            return 0
        pipe = self.client.pipeline()
        for key_hash in doomed:
            pipe.delete(self._key(key_hash))
        pipe.srem(self._user_key(user_id), *doomed)
        results = pipe.execute()
        return sum(results[:-1])

    def remove_expired(self, db: Session, user_id: int | None, now: datetime) -> int:
        """Redis expires sessions by itself: nothing to delete."""
        return 0


_store: DatabaseStore | RedisStore = DatabaseStore()
_timeouts = DEFAULT_TIMEOUTS


def configure(store: DatabaseStore | RedisStore, timeouts: SessionTimeouts) -> None:
    """Choose the store and the timeouts (once per process, by the app factory)."""
    global _store, _timeouts
    _store, _timeouts = store, timeouts


def current_store() -> DatabaseStore | RedisStore:
    """The store in use (for the start-up check and tests)."""
    return _store


def redis_store(url: str, prefix: str) -> RedisStore:
    """A Redis store on ``url`` (connected lazily, at the first use)."""
    import redis

    return RedisStore(redis.Redis.from_url(url, socket_timeout=5), prefix)


def start_session(db: Session, user_id: int, now: datetime | None = None) -> str:
    """Store a new session for a user who just proved who they are; return its cookie key."""
    now = now or utcnow()
    key = secrets.token_urlsafe(32)
    record = StoredSession(user_id, now, now)
    with transaction(db):
        _store.remove_expired(db, user_id, now)
        _store.add(db, _digest(key), record, expires_at(now, now, _timeouts))
    return key


def load_user(db: Session, key: str, now: datetime | None = None) -> User | None:
    """Return the active user a cookie's session key belongs to, or None if it has ended.

    The returned user carries the key (``get_id``), so Flask-Login keeps the same cookie.
    """
    now = now or utcnow()
    key_hash = _digest(key)
    record = _store.get(db, key_hash)
    if record is None:
        return None
    if is_expired(record.created_at, record.last_seen_at, now, _timeouts):
        with transaction(db):
            _store.remove(db, key_hash)
        return None
    if needs_touch(record.last_seen_at, now, _timeouts):
        with transaction(db):
            _store.touch(db, key_hash, now, expires_at(record.created_at, now, _timeouts))
    user = record.user or db.get(User, record.user_id)
    # A deactivated account's sessions are refused even if one was somehow left behind.
    if user is None or not user.is_active:
        return None
    user.attach_session(key)
    return user


def end_expired_sessions(db: Session, now: datetime | None = None) -> int:
    """Delete every stored session that has ended by itself; return how many (committed)."""
    with transaction(db):
        return _store.remove_expired(db, None, now or utcnow())


def end_session(db: Session, key: str) -> None:
    """End one session (sign out); a key that is already gone is fine."""
    with transaction(db):
        _store.remove(db, _digest(key))


def drop_sessions(db: Session, user_id: int, keep: str | None = None) -> int:
    """End a user's sessions but ``keep`` (a cookie key) in the caller's transaction.

    Redis deletes at once, before the caller commits: if the commit then fails, the user
    merely signs in again, whereas the other order could leave sessions alive.
    """
    return _store.remove_user(db, user_id, None if keep is None else _digest(keep))


def end_sessions(db: Session, user_id: int, keep: str | None = None) -> int:
    """End every session of a user, or all but ``keep`` (a cookie key); return how many."""
    with transaction(db):
        return drop_sessions(db, user_id, keep)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _whole_seconds(moment: datetime) -> int:
    # Rounded up: Redis must not drop a session a fraction of a second before its time.
    stamp = moment.timestamp()
    return int(stamp) + (0 if stamp == int(stamp) else 1)
