from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app.flow import Timeouts
from app.settings import (
    DEFAULT_SERVER_URL,
    SERVICE_CACHE_FILE,
    SETTINGS_FILE,
    TOML_KEYS,
    Settings,
    SettingsError,
    home_dir,
    load_service_cache,
    load_service_name,
    load_settings,
    save_service_cache,
    save_settings,
)
from server.api.schemas import BarcodeSpec, CheckDigit, ServiceInfo, Symbology

EXAMPLE = Path(__file__).resolve().parents[3] / "resources" / "counter.example.toml"
SERVICE = ServiceInfo(
    name="demo-library",
    display_name="デモ市立図書館",
    provider="デモ市",
    barcode=BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}", check_digit=CheckDigit.MOD10),
)


def write(home: Path, text: str) -> None:
    (home / SETTINGS_FILE).write_text(text, encoding="utf-8")


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings == Settings()
    assert settings.server_url == DEFAULT_SERVER_URL == "http://127.0.0.1:8421"
    assert settings.reader is None
    assert settings.language == "ja"
    assert settings.delivery == ["show", "barcode"]
    assert settings.fullscreen is True
    assert settings.secrets_backend == "system"
    assert settings.terminal_id is None
    assert settings.service is None


def test_timeouts() -> None:
    settings = Settings(result_timeout_s=5, error_timeout_s=6, pin_entry_timeout_s=7.5)
    assert settings.timeouts() == Timeouts(result_s=5, error_s=6, pin_entry_s=7.5)
    assert Settings().timeouts() == Timeouts()


def test_reads_every_key(tmp_path: Path) -> None:
    write(tmp_path, """
server_url = "https://mykey.example.jp/"
reader = "Virtual PCD 00 00"
language = "en"
result_timeout_s = 10
error_timeout_s = 5.5
pin_entry_timeout_s = 45
platform_timeout_s = 3
delivery = ["barcode"]
fullscreen = false
secrets_backend = "file"
demo_mode = true
terminal_id = "term-1"
""")
    s = load_settings(tmp_path)
    assert s.server_url == "https://mykey.example.jp"  # trailing slash dropped
    assert s.reader == "Virtual PCD 00 00"
    assert s.language == "en"
    assert (s.result_timeout_s, s.error_timeout_s, s.pin_entry_timeout_s) == (10, 5.5, 45)
    assert s.platform_timeout_s == 3
    assert s.delivery == ["barcode"]
    assert s.fullscreen is False
    assert s.secrets_backend == "file"
    assert s.terminal_id == "term-1"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('colour = "blue"', "colour"),
        ('language = "fr"', "language"),
        ('server_url = "ftp://x"', "server_url"),
        ("server_url = 1", "server_url"),
        ("result_timeout_s = 0", "result_timeout_s"),
        ("error_timeout_s = -1", "error_timeout_s"),
        ('pin_entry_timeout_s = "60"', "pin_entry_timeout_s"),
        ("pin_entry_timeout_s = true", "pin_entry_timeout_s"),
        ("platform_timeout_s = nan", "platform_timeout_s"),
        ('delivery = ["fax"]', "delivery"),
        ("delivery = []", "delivery"),
        ('delivery = "show"', "delivery"),
        ('delivery = ["show", "show"]', "delivery"),
        ('fullscreen = "yes"', "fullscreen"),
        ('secrets_backend = "vault"', "secrets_backend"),
        ('reader = ""', "reader"),
        ("terminal_id = 5", "terminal_id"),
    ],
)
def test_bad_keys_and_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    write(tmp_path, text + "\n")
    with pytest.raises(SettingsError) as info:
        load_settings(tmp_path)
    assert key in str(info.value)
    assert SETTINGS_FILE in str(info.value)


def test_broken_toml_is_a_settings_error(tmp_path: Path) -> None:
    write(tmp_path, "language = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(tmp_path)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    settings = Settings(
        server_url="https://mykey.example.jp",
        reader="Reader 1",
        language="en",
        result_timeout_s=12,
        delivery=["barcode", "show"],
        fullscreen=False,
        secrets_backend="file",
        demo_mode=True,
        terminal_id="abc",
        service=SERVICE,
    )
    home = tmp_path / "new" / "home"
    path = save_settings(home, settings)
    assert path == home / SETTINGS_FILE
    loaded = load_settings(home)
    assert loaded == settings
    assert loaded.service == SERVICE
    assert "service" not in tomllib.loads(path.read_text(encoding="utf-8"))


def test_save_writes_only_what_differs_from_defaults(tmp_path: Path) -> None:
    save_settings(tmp_path, Settings(terminal_id="t1"))
    data = tomllib.loads((tmp_path / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert data == {"terminal_id": "t1"}


def test_service_cache(tmp_path: Path) -> None:
    assert load_service_cache(tmp_path) is None
    save_service_cache(tmp_path, SERVICE)
    assert "デモ市立図書館" in (tmp_path / SERVICE_CACHE_FILE).read_text(encoding="utf-8")
    assert load_service_cache(tmp_path) == SERVICE
    assert load_settings(tmp_path).service == SERVICE


def test_broken_service_cache_says_enroll_again(tmp_path: Path) -> None:
    (tmp_path / SERVICE_CACHE_FILE).write_text("{}", encoding="utf-8")
    with pytest.raises(SettingsError, match="enroll"):
        load_settings(tmp_path)


def test_service_name_is_read_without_validating_the_cache(tmp_path: Path) -> None:
    assert load_service_name(tmp_path) is None
    save_service_cache(tmp_path, SERVICE)
    assert load_service_name(tmp_path) == SERVICE.display_name
    settings = load_settings(tmp_path, service_cache=False)
    assert settings.service is None  # left for after the kiosk's first paint
    assert load_settings(tmp_path).service == SERVICE


def test_service_name_of_an_otherwise_invalid_cache(tmp_path: Path) -> None:
    (tmp_path / SERVICE_CACHE_FILE).write_text('{"display_name": "館"}', encoding="utf-8")
    assert load_service_name(tmp_path) == "館"  # enough to paint; the rest fails later
    with pytest.raises(SettingsError, match="enroll"):
        load_service_cache(tmp_path)


@pytest.mark.parametrize("text", ["{", "[]", "{}", '{"display_name": 3}'])
def test_unreadable_service_name_says_enroll_again(tmp_path: Path, text: str) -> None:
    (tmp_path / SERVICE_CACHE_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match="unreadable service cache.*enroll"):
        load_service_name(tmp_path)


def test_home_dir_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MYKEY_COUNTER_HOME", str(tmp_path))
    assert home_dir() == tmp_path


def test_home_dir_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MYKEY_COUNTER_HOME", raising=False)
    assert home_dir().name == "mykey-counter"


def test_example_file_documents_every_key_and_loads(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in TOML_KEYS:
        assert f"{key} =" in text, f"{key} missing from counter.example.toml"
    # every key, uncommented, with the documented example value, is accepted
    lines = []
    for line in text.splitlines():
        stripped = line.removeprefix("# ").removeprefix("#")
        if any(stripped.startswith(f"{key} =") for key in TOML_KEYS):
            lines.append(stripped)
    write(tmp_path, "\n".join(lines) + "\n")
    settings = load_settings(tmp_path)
    assert settings.language in ("ja", "en")
    # as shipped (comments only for optional keys), the example is valid too
    write(tmp_path, text)
    load_settings(tmp_path)
