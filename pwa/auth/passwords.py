"""Password hashes (argon2) and the digests codes and tokens are stored as."""

from __future__ import annotations

import hashlib

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


def token_digest(token: str) -> str:
    """Codes, invitation tokens and session keys are stored only as their sha256."""
    return hashlib.sha256(token.encode()).hexdigest()
