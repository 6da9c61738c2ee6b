"""Password hashes (argon2) and the digests codes and tokens are stored as."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Tests replace it with cheap settings in their own process (tests/conftest.py).
hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_unknown: str | None = None


def unknown_hash() -> str:
    """A hash of a random password, made with the same settings: what an unknown email is
    checked against, so that log-in takes as long for it as for a known one."""
    global _unknown
    # Made again if the hasher's settings changed (the tests use cheap ones).
    if _unknown is None or hasher.check_needs_rehash(_unknown):
        _unknown = hasher.hash(secrets.token_urlsafe(16))
    return _unknown


def token_digest(token: str) -> str:
    """Codes, invitation tokens and session keys are stored only as their sha256."""
    return hashlib.sha256(token.encode()).hexdigest()
