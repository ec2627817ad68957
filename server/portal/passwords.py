"""My Page passwords: the rule (6–16 ASCII letters and digits, not a common password, not
the MyKey ID) and argon2id hashes.

Hashing is deliberately slow and memory-hungry, so every hash and verification here waits
for one of :data:`HASH_SLOTS` process-wide slots: a burst of logins queues instead of
exhausting memory and CPU.  Callers hash outside any database transaction (a transaction
would hold SQLite's write lock for the whole hash).
"""

from __future__ import annotations

import functools
import gzip
import os
import re
import threading
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_PASSWORD = re.compile(r"[A-Za-z0-9]{6,16}")
_hasher = PasswordHasher()  # argon2id, the library's (RFC 9106 low-memory) defaults

HASH_SLOTS_ENV = "MYKEY_PORTAL_HASH_SLOTS"
#: argon2 operations allowed at once in this process (each takes ~64 MiB)
HASH_SLOTS = max(1, int(os.environ.get(HASH_SLOTS_ENV, "") or 2))
_slots = threading.BoundedSemaphore(HASH_SLOTS)


def is_valid_password(password: str) -> bool:
    return _PASSWORD.fullmatch(password) is not None


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower-case), loaded on first use."""
    data = resources.files("server.portal").joinpath("data/common-passwords.txt.gz")
    with gzip.open(data.open("rb"), "rt", encoding="ascii") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def is_common_password(password: str, mykey_id: str = "") -> bool:
    """Whether ``password`` is a common one, or the MyKey ID itself (case ignored)."""
    folded = password.lower()
    return folded in common_passwords() or (bool(mykey_id) and folded == mykey_id.lower())


def hash_password(password: str) -> str:
    with _slots:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; ``False`` for a damaged hash too."""
    with _slots:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


#: verified against when the MyKey ID is unknown, so a login costs the same either way
DUMMY_HASH = _hasher.hash("not-a-password-0")
