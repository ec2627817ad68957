"""My Page passwords: the rule (6–16 ASCII letters and digits) and argon2id hashes."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_PASSWORD = re.compile(r"[A-Za-z0-9]{6,16}")
_hasher = PasswordHasher()  # argon2id, the library's (RFC 9106 low-memory) defaults


def is_valid_password(password: str) -> bool:
    return _PASSWORD.fullmatch(password) is not None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; ``False`` for a damaged hash too."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


#: verified against when the MyKey ID is unknown, so a login costs the same either way
DUMMY_HASH = hash_password("not-a-password-0")
