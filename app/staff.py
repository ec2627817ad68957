"""The staff PIN that guards the counter's settings screen.

Kept as a salted scrypt hash in the same keyring as the terminal key (service
``mykey-counter``, user ``staff-pin``), never in ``counter.toml``; the PIN itself is never
stored, logged nor printed. Set it with ``mykey-counter staff-pin``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Protocol

from app.secrets import SERVICE, KeyringUnavailable, SecretsError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

#: the keyring user name of the staff PIN's hash
USERNAME = "staff-pin"
MIN_LENGTH = 6
MAX_LENGTH = 12
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
#: what to run when no staff PIN is set
SET_COMMAND = "mykey-counter staff-pin"


class StaffPinMissing(SecretsError):
    """No staff PIN is set: the settings screen stays closed."""


class KeyStore(Protocol):
    """What the staff PIN needs of ``app.secrets.TerminalKeyStore``: its keyring."""

    @property
    def keyring(self) -> KeyringBackend: ...


def valid_staff_pin(pin: str) -> bool:
    """6 to 12 ASCII digits."""
    return MIN_LENGTH <= len(pin) <= MAX_LENGTH and pin.isascii() and pin.isdigit()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(pin.encode("ascii"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=256 * 1024 * 1024)


def hash_staff_pin(pin: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt_b64$hash_b64`` for ``pin``."""
    if not valid_staff_pin(pin):
        raise ValueError(f"the staff PIN must be {MIN_LENGTH} to {MAX_LENGTH} digits")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_staff_pin(encoded: str, pin: str) -> bool:
    """Whether ``pin`` matches the encoded hash (constant-time compare)."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise SecretsError("the staff PIN entry in the keyring is not ours: set it again")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise SecretsError("the staff PIN entry in the keyring is damaged: set it again") from None
    if not valid_staff_pin(pin):
        return False
    try:
        actual = _scrypt(pin, salt, n, r, p, len(expected))
    except ValueError:
        raise SecretsError("the staff PIN entry in the keyring is damaged: set it again") from None
    return hmac.compare_digest(actual, expected)


def set_staff_pin(store: KeyStore, pin: str) -> None:
    """Store the salted hash of ``pin`` in the store's keyring."""
    import keyring.errors

    value = hash_staff_pin(pin)
    try:
        store.keyring.set_password(SERVICE, USERNAME, value)
    except keyring.errors.KeyringError as e:
        raise KeyringUnavailable(f"cannot store the staff PIN: {e}") from None


def staff_pin_hash(store: KeyStore) -> str | None:
    """The stored hash, or ``None`` when no staff PIN is set."""
    import keyring.errors

    try:
        return store.keyring.get_password(SERVICE, USERNAME)
    except keyring.errors.KeyringError as e:
        raise KeyringUnavailable(f"cannot read the staff PIN: {e}") from None


def has_staff_pin(store: KeyStore) -> bool:
    return staff_pin_hash(store) is not None


def check_staff_pin(store: KeyStore, pin: str) -> bool:
    """Whether ``pin`` is the staff PIN; :class:`StaffPinMissing` if none is set."""
    encoded = staff_pin_hash(store)
    if encoded is None:
        raise StaffPinMissing(f"no staff PIN is set: run `{SET_COMMAND}` on this counter")
    return verify_staff_pin(encoded, pin)
