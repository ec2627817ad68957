from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keyring.backends import fail

from app.secrets import (
    NO_KEYRING_MESSAGE,
    PLAINTEXT_FILE,
    SERVICE,
    KeyringUnavailable,
    SecretsError,
    TerminalKeyMissing,
    TerminalKeyStore,
    open_keyring,
)


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def test_file_backend_round_trip_inside_home(tmp_path: Path) -> None:
    store = TerminalKeyStore("file", tmp_path)
    key = Ed25519PrivateKey.generate()
    store.store("term-1", key)
    path = tmp_path / PLAINTEXT_FILE
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "mykey_2Dcounter" in path.read_text(encoding="utf-8")  # escaped service name
    loaded = TerminalKeyStore("file", tmp_path).load("term-1")
    assert raw(loaded) == raw(key)


def test_file_backend_keeps_terminals_apart(tmp_path: Path) -> None:
    store = TerminalKeyStore("file", tmp_path)
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    store.store("a", a)
    store.store("b", b)
    assert raw(store.load("a")) == raw(a)
    assert raw(store.load("b")) == raw(b)
    assert store.delete("a") is True
    assert store.delete("a") is False
    with pytest.raises(TerminalKeyMissing, match="enroll"):
        store.load("a")


def test_missing_key_says_enroll(tmp_path: Path) -> None:
    with pytest.raises(TerminalKeyMissing, match="mykey-counter enroll"):
        TerminalKeyStore("file", tmp_path).load("nobody")


def test_foreign_or_damaged_entries_are_refused(tmp_path: Path) -> None:
    store = TerminalKeyStore("file", tmp_path)
    store.keyring.set_password(SERVICE, "x", "hunter2")
    with pytest.raises(SecretsError, match="not ours"):
        store.load("x")
    store.keyring.set_password(SERVICE, "y", "ed25519:!!!")
    with pytest.raises(SecretsError, match="damaged"):
        store.load("y")


def test_check_opens_the_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    TerminalKeyStore("file", tmp_path).check()
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    with pytest.raises(KeyringUnavailable):
        TerminalKeyStore("system", tmp_path).check()


def test_unknown_backend(tmp_path: Path) -> None:
    with pytest.raises(SecretsError, match="secrets_backend"):
        open_keyring("vault", tmp_path)


def test_system_without_any_backend_explains(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    with pytest.raises(KeyringUnavailable) as info:
        TerminalKeyStore("system", tmp_path).load("t")
    assert str(info.value) == NO_KEYRING_MESSAGE
    assert 'secrets_backend = "file"' in NO_KEYRING_MESSAGE
    assert "GNOME Keyring" in NO_KEYRING_MESSAGE


def test_system_refuses_a_plaintext_file_keyring(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.setattr(keyring, "get_keyring", lambda: PlaintextKeyring())
    with pytest.raises(KeyringUnavailable, match="No OS keyring service"):
        open_keyring("system", tmp_path)


def test_system_keyring_errors_are_explained(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken() -> None:
        raise keyring.errors.InitError("dbus is gone")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    with pytest.raises(KeyringUnavailable, match="dbus is gone"):
        open_keyring("system", tmp_path)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Stands in for an OS keyring (a backend that is neither fail nor keyrings.alt)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.data.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("none")


def test_system_uses_the_os_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    memory = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: memory)
    key = Ed25519PrivateKey.generate()
    TerminalKeyStore("system", tmp_path).store("t9", key)
    assert (SERVICE, "t9") in memory.data
    assert not (tmp_path / PLAINTEXT_FILE).exists()
    assert raw(TerminalKeyStore("system", tmp_path).load("t9")) == raw(key)


def test_keyring_write_errors_are_secrets_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    memory = MemoryKeyring()

    def refuse(service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")

    memory.set_password = refuse  # type: ignore[method-assign]
    monkeypatch.setattr(keyring, "get_keyring", lambda: memory)
    with pytest.raises(KeyringUnavailable, match="locked"):
        TerminalKeyStore("system", tmp_path).store("t", Ed25519PrivateKey.generate())
