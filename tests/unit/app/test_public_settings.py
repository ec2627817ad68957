"""A counter in a public place: demo conveniences and plain HTTP are refused at start-up.

``secrets_backend = "file"`` (the terminal key unencrypted on disk) only in demo mode;
the platform URL only over https, but for the platform on this machine (loopback).
Each refusal stops the kiosk and every command with its own exit status, says why and how
to fix it (doctor too), and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.doctor import Status, run_checks
from app.settings import SETTINGS_FILE, SettingsError, load_settings
from tests.unit.app.test_cli import Fakes, run
from tests.unit.app.test_doctor import deps

FILE_SECRETS = 'secrets_backend = "file"\nterminal_id = "term-1"\nfullscreen = false\n'


def home_with(tmp_path: Path, toml: str) -> Path:
    (tmp_path / SETTINGS_FILE).write_text(toml, encoding="utf-8")
    return tmp_path


def files(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(home.iterdir()) if p.is_file()}


def test_file_secrets_outside_demo_mode_stop_the_counter(tmp_path: Path) -> None:
    from app.public_place import FILE_SECRETS_STATUS

    home = home_with(tmp_path, FILE_SECRETS)
    before = files(home)
    fakes = Fakes()

    with pytest.raises(SettingsError, match="demo_mode"):
        load_settings(home)
    kiosk = run(home, fakes, "--once")
    lookup = run(home, fakes, "lookup", "--pin-stdin", stdin="1234\n")

    assert kiosk.exit_code == FILE_SECRETS_STATUS and lookup.exit_code == FILE_SECRETS_STATUS
    assert "demo_mode = true" in kiosk.output and "デモ" in kiosk.output  # Japanese first
    assert fakes.kiosk_calls == [] and fakes.tapper.pins == []
    assert files(home) == before  # nothing written


def test_doctor_says_why_file_secrets_are_refused_and_how_to_fix_it(tmp_path: Path) -> None:
    home = home_with(tmp_path, FILE_SECRETS)

    checks = run_checks(home, deps())

    assert checks[0].name == "settings" and checks[0].status is Status.FAIL
    assert 'secrets_backend = "system"' in checks[0].detail  # the fix
    assert "demo_mode = true" in checks[0].detail  # or the demo's way


def test_file_secrets_in_demo_mode_are_allowed(tmp_path: Path) -> None:
    home = home_with(tmp_path, FILE_SECRETS + "demo_mode = true\n")
    assert load_settings(home).secrets_backend == "file"


@pytest.mark.parametrize("url", ["http://192.0.2.10:8421", "http://mykey.example.jp",
                                 "http://127.0.0.1.example.jp", "http://[2001:db8::1]"])
def test_plain_http_to_another_host_stops_the_counter(tmp_path: Path, url: str) -> None:
    from app.public_place import PLAIN_HTTP_STATUS

    home = home_with(tmp_path, f'server_url = "{url}"\nterminal_id = "term-1"\n')
    before = files(home)
    fakes = Fakes()

    with pytest.raises(SettingsError, match="https"):
        load_settings(home)
    result = run(home, fakes, "--once")
    checks = run_checks(home, deps())

    assert result.exit_code == PLAIN_HTTP_STATUS and "https://" in result.output
    assert checks[0].status is Status.FAIL and "https://" in checks[0].detail
    assert fakes.kiosk_calls == [] and files(home) == before


@pytest.mark.parametrize("url", ["http://127.0.0.1:8421", "http://127.3.4.5", "http://[::1]:8421",
                                 "http://localhost:8421", "https://mykey.example.jp"])
def test_https_or_loopback_is_accepted(tmp_path: Path, url: str) -> None:
    home = home_with(tmp_path, f'server_url = "{url}"\n')
    assert load_settings(home).server_url == url


def test_enroll_refuses_plain_http_before_spending_the_code(tmp_path: Path) -> None:
    from app.public_place import PLAIN_HTTP_STATUS

    fakes = Fakes()
    result = run(tmp_path, fakes, "enroll", "--server", "http://192.0.2.10", "--code", "C")

    assert result.exit_code == PLAIN_HTTP_STATUS
    assert not (tmp_path / SETTINGS_FILE).exists()
