"""The terminal's Ed25519 private key in the OS keyring (``keyring``), never in the TOML.

``secrets_backend = "system"`` uses the OS keyring service (GNOME Keyring / KWallet via
Secret Service, Windows Credential Manager, macOS Keychain).  ``"file"`` keeps the key
UNENCRYPTED in ``keyring-plaintext.cfg`` in the counter's home directory: for demos and
tests only, never on a real counter.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import keyring
import keyring.errors
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail

SERVICE = "mykey-counter"
PLAINTEXT_FILE = "keyring-plaintext.cfg"
_PREFIX = "ed25519:"

NO_KEYRING_MESSAGE = (
    "No OS keyring service is running. Set secrets_backend = \"file\" in counter.toml "
    "(demo/test only) or start a keyring service (GNOME Keyring, KWallet, "
    "Windows Credential Manager, macOS Keychain)."
)


class SecretsError(Exception):
    """The terminal key cannot be stored or read."""


class KeyringUnavailable(SecretsError):
    """No usable keyring backend."""


class TerminalKeyMissing(SecretsError):
    """The keyring holds no key for this terminal: enroll again."""


def _is_secure(backend: KeyringBackend) -> bool:
    """A real OS keyring, not the fail backend nor a keyrings.alt file."""
    if isinstance(backend, chainer.ChainerBackend):
        return any(_is_secure(b) for b in backend.backends)
    if isinstance(backend, fail.Keyring):
        return False
    return not type(backend).__module__.startswith("keyrings.alt")


def open_keyring(backend: str, home: Path) -> KeyringBackend:
    """The keyring for ``secrets_backend``; raise :class:`KeyringUnavailable` if none works."""
    if backend == "file":
        from keyrings.alt.file import PlaintextKeyring

        plain = PlaintextKeyring()
        plain.file_path = str(Path(home) / PLAINTEXT_FILE)  # instance override, documented
        return plain
    if backend != "system":
        raise SecretsError(f"unknown secrets_backend {backend!r}: use \"system\" or \"file\"")
    try:
        chosen = keyring.get_keyring()
    except (keyring.errors.KeyringError, RuntimeError) as e:
        raise KeyringUnavailable(f"{NO_KEYRING_MESSAGE} ({e})") from None
    if not _is_secure(chosen):
        raise KeyringUnavailable(NO_KEYRING_MESSAGE)
    return chosen


class TerminalKeyStore:
    """Stores one private key per terminal id under service ``mykey-counter``."""

    def __init__(self, backend: str, home: Path) -> None:
        self.backend_name = backend
        self.home = Path(home)
        self._keyring: KeyringBackend | None = None

    @property
    def keyring(self) -> KeyringBackend:
        if self._keyring is None:
            self._keyring = open_keyring(self.backend_name, self.home)
        return self._keyring

    def check(self) -> None:
        """Raise :class:`KeyringUnavailable` now if no usable keyring is there."""
        _ = self.keyring

    def store(self, terminal_id: str, key: Ed25519PrivateKey) -> None:
        raw = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        value = _PREFIX + base64.b64encode(raw).decode("ascii")
        try:
            self.keyring.set_password(SERVICE, terminal_id, value)
        except keyring.errors.KeyringError as e:
            raise KeyringUnavailable(f"cannot store the terminal key: {e}") from None

    def load(self, terminal_id: str) -> Ed25519PrivateKey:
        try:
            value = self.keyring.get_password(SERVICE, terminal_id)
        except keyring.errors.KeyringError as e:
            raise KeyringUnavailable(f"cannot read the terminal key: {e}") from None
        if value is None:
            raise TerminalKeyMissing(
                f"no key for terminal {terminal_id!r} in the keyring: run `mykey-counter enroll`"
            )
        if not value.startswith(_PREFIX):
            raise SecretsError(f"the keyring entry of terminal {terminal_id!r} is not ours")
        try:
            raw = base64.b64decode(value[len(_PREFIX):], validate=True)
            return Ed25519PrivateKey.from_private_bytes(raw)
        except (binascii.Error, ValueError):
            raise SecretsError(
                f"the keyring entry of terminal {terminal_id!r} is damaged"
            ) from None

    def delete(self, terminal_id: str) -> bool:
        """Forget the key; ``False`` if there was none."""
        try:
            self.keyring.delete_password(SERVICE, terminal_id)
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.KeyringError as e:
            raise KeyringUnavailable(f"cannot delete the terminal key: {e}") from None
        return True
