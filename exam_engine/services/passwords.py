"""Argon2id password hashing with a cost profile chosen by configuration."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_PROFILES = {
    "default": PasswordHasher(),
    # For test suites only: the same algorithm with a cost that keeps hundreds of logins fast.
    "fast": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}
_hasher = _PROFILES["default"]


def use_profile(name: str) -> None:
    """Select the hashing cost profile (``default`` or ``fast``)."""
    global _hasher
    try:
        _hasher = _PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown password hash profile {name!r}") from None


def hash_password(password: str) -> str:
    """Hash a password with the active profile."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against a stored hash, never raising on a bad hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so timing does not reveal it.

    Made on first use, not at import: hashing takes Argon2's 64 MiB and a sixth of a second,
    which every process (a CLI import, a worker) would otherwise pay at start.
    """
    return _PROFILES["default"].hash("not-a-real-password")
