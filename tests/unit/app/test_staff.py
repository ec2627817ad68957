"""The staff PIN: a salted scrypt hash in the keyring, and ``mykey-counter staff-pin``."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import cli
from app.secrets import PLAINTEXT_FILE, SERVICE, SecretsError, TerminalKeyStore
from app.settings import Settings, save_settings
from app.staff import (
    USERNAME,
    StaffPinMissing,
    check_staff_pin,
    has_staff_pin,
    hash_staff_pin,
    set_staff_pin,
    staff_pin_hash,
    valid_staff_pin,
    verify_staff_pin,
)
from tests.unit.app.test_cli import Fakes

STAFF_PIN = "73915002"


def store_in(home: Path) -> TerminalKeyStore:
    return TerminalKeyStore("file", home)


def test_round_trip_and_wrong_pin(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    assert not has_staff_pin(store)
    set_staff_pin(store, STAFF_PIN)
    again = store_in(tmp_path)
    assert check_staff_pin(again, STAFF_PIN)
    assert not check_staff_pin(again, "73915003")
    assert not check_staff_pin(again, STAFF_PIN[:-1])
    assert not check_staff_pin(again, "12345")  # too short: never matches


def test_the_keyring_holds_a_salted_scrypt_hash_not_the_pin(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    set_staff_pin(store, STAFF_PIN)
    text = (tmp_path / PLAINTEXT_FILE).read_text(encoding="utf-8")
    assert STAFF_PIN not in text
    encoded = staff_pin_hash(store)
    assert encoded is not None and encoded.startswith("scrypt$16384$8$1$")
    assert store.keyring.get_password(SERVICE, USERNAME) == encoded
    # salted: the same PIN hashes differently each time
    assert hash_staff_pin(STAFF_PIN) != hash_staff_pin(STAFF_PIN)
    assert verify_staff_pin(hash_staff_pin(STAFF_PIN), STAFF_PIN)
    assert not (tmp_path / "counter.toml").exists()


def test_no_staff_pin_says_how_to_set_one(tmp_path: Path) -> None:
    with pytest.raises(StaffPinMissing, match="mykey-counter staff-pin"):
        check_staff_pin(store_in(tmp_path), STAFF_PIN)


def test_a_damaged_entry_is_an_error(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    store.keyring.set_password(SERVICE, USERNAME, "plain-text")
    with pytest.raises(SecretsError):
        check_staff_pin(store, STAFF_PIN)


@pytest.mark.parametrize("pin,ok", [("123456", True), ("123456789012", True), ("12345", False),
                                    ("1234567890123", False), ("12345a", False),
                                    ("１２３４５６", False)])
def test_six_to_twelve_ascii_digits(pin: str, ok: bool) -> None:
    assert valid_staff_pin(pin) is ok
    if not ok:
        with pytest.raises(ValueError):
            hash_staff_pin(pin)


def home_with_file_keyring(tmp_path: Path) -> Path:
    save_settings(tmp_path, Settings(secrets_backend="file", demo_mode=True))
    return tmp_path


def staff_cli(home: Path, *args: str, stdin: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), "staff-pin", *args], input=stdin,
                              obj=Fakes().backends())


def test_cli_sets_the_pin_from_stdin(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    home = home_with_file_keyring(tmp_path)
    result = staff_cli(home, "--pin-stdin", stdin=STAFF_PIN + "\n")
    assert result.exit_code == 0, result.output
    assert "staff PIN set" in result.output
    assert STAFF_PIN not in result.output
    assert STAFF_PIN not in caplog.text
    assert check_staff_pin(store_in(home), STAFF_PIN)
    assert STAFF_PIN not in (home / "counter.toml").read_text(encoding="utf-8")


def test_cli_prompts_twice(tmp_path: Path) -> None:
    home = home_with_file_keyring(tmp_path)
    result = staff_cli(home, stdin=f"{STAFF_PIN}\n{STAFF_PIN}\n")
    assert result.exit_code == 0, result.output
    assert "staff PIN set" in result.output
    assert STAFF_PIN not in result.output  # hidden input is not echoed
    assert check_staff_pin(store_in(home), STAFF_PIN)


def test_cli_refuses_two_different_entries(tmp_path: Path) -> None:
    home = home_with_file_keyring(tmp_path)
    result = staff_cli(home, stdin=f"{STAFF_PIN}\n99999999\n")
    assert result.exit_code != 0
    assert "differ" in result.output
    assert not has_staff_pin(store_in(home))


def test_cli_refuses_a_short_pin(tmp_path: Path) -> None:
    home = home_with_file_keyring(tmp_path)
    result = staff_cli(home, "--pin-stdin", stdin="1234\n")
    assert result.exit_code != 0
    assert "6 to 12 digits" in result.output
    assert not has_staff_pin(store_in(home))
