"""Staff credentials, without the database: the PIN rule and its argon2id hash, TOTP
codes by time step, and the delay that grows with failed checks."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_PIN = re.compile(r"[0-9]{6,12}")
_LOGIN = re.compile(r"[a-z][a-z0-9._-]{1,31}")
_CODE = re.compile(r"[0-9]{6,12}")
_hasher = PasswordHasher()  # argon2id, the library's (RFC 9106 low-memory) defaults

#: seconds in a TOTP time step, and the steps either side of now still accepted
TOTP_STEP = 30
TOTP_WINDOW = 1
#: failed checks allowed before each further one locks the account for a growing time
FREE_FAILURES = 3
LOCK_BASE = dt.timedelta(seconds=30)
LOCK_MAX = dt.timedelta(hours=1)


def is_valid_login(login: str) -> bool:
    return _LOGIN.fullmatch(login) is not None


def is_valid_pin(pin: str) -> bool:
    """6–12 digits, not all the same one (``000000`` stands for "no code" at the counter)."""
    return _PIN.fullmatch(pin) is not None and len(set(pin)) > 1


def looks_like_code(code: str) -> bool:
    """Whether ``code`` could be a PIN or a TOTP code (digits, 6–12)."""
    return _CODE.fullmatch(code) is not None


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    """Whether ``pin`` matches; ``False`` for a damaged hash too."""
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


#: verified against when the login is unknown, so a check costs the same either way
DUMMY_HASH = hash_pin("000000000000")


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, login: str, issuer: str) -> str:
    return pyotp.TOTP(secret, interval=TOTP_STEP).provisioning_uri(name=login, issuer_name=issuer)


def totp_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step (near ``now``) whose code is ``code``, or ``None``."""
    totp = pyotp.TOTP(secret, interval=TOTP_STEP)
    current = int(now.timestamp()) // TOTP_STEP
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if pyotp.utils.strings_equal(totp.at(step * TOTP_STEP), code):
            return step
    return None


def lock_after(failed_checks: int) -> dt.timedelta | None:
    """How long the account is locked after its ``failed_checks``-th failure in a row."""
    if failed_checks <= FREE_FAILURES:
        return None
    return min(LOCK_BASE * 2 ** (failed_checks - FREE_FAILURES - 1), LOCK_MAX)
