"""mykey-counter's commands with fake backends (CliRunner)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from app.barcodes import encode_nw7, render_barcode
from app.cli import cli
from app.cli.backends import Backends, KioskBackends, KioskFlags
from app.cli.barcode_spec import CHECK_DIGITS, SYMBOLOGIES
from app.cli.errors import MESSAGES, error_line
from app.cli.kiosk import start_kiosk
from app.cli.startup_check import process_age_s
from app.i18n import Catalogue
from app.ports import EXIT_STATUS, CardStatus, ErrorKind, TapError
from app.secrets import TerminalKeyStore
from app.settings import DEFAULT_SERVER_URL, Settings, load_settings, save_settings
from app.ui.kiosk_config import KioskConfig
from drivers.card.errors import NoReader
from server.api.schemas import (
    DEFAULT_PORT,
    BarcodeSpec,
    CheckDigit,
    HealthResponse,
    LookupResult,
    ServiceInfo,
    Symbology,
    TerminalInfo,
)

NOW = dt.datetime.now(dt.UTC)
SERVICE = ServiceInfo(name="demo-library", display_name="デモ市立図書館", provider="デモ市",
                      barcode=BarcodeSpec(symbology=Symbology.NW7, pattern="[0-9]{10}",
                                          check_digit=CheckDigit.MOD16))
RESULT = LookupResult(service="demo-library", service_id="0012345678", valid=True,
                      address_changed=True, certificate_expires_soon=False)


@dataclass
class FakeTapper:
    tries_left: int = 3
    error: TapError | None = None
    probe_error: TapError | None = None
    pins: list[tuple[str, bool]] = field(default_factory=list)

    def probe(self) -> CardStatus:
        if self.probe_error:
            raise self.probe_error
        return CardStatus(self.tries_left)

    def authenticate(self, pin: str, *, allow_last_try: bool) -> LookupResult:
        self.pins.append((pin, allow_last_try))
        if self.error:
            raise self.error
        return RESULT


@dataclass
class FakeClient:
    service: ServiceInfo = field(default_factory=lambda: SERVICE)
    error: TapError | None = None
    closed: bool = False

    def terminal_info(self) -> TerminalInfo:
        if self.error:
            raise self.error
        return TerminalInfo(terminal_id="term-1", name="desk 1", service=self.service,
                            server_time=NOW)

    def close(self) -> None:
        self.closed = True


@dataclass
class Fakes:
    tapper: FakeTapper = field(default_factory=FakeTapper)
    client: FakeClient = field(default_factory=FakeClient)
    wait_error: Exception | None = None
    readers: list[str] = field(default_factory=lambda: ["Reader 0"])
    enroll_error: TapError | None = None
    kiosk_calls: list[KioskConfig] = field(default_factory=list)
    #: the kiosk's exit status, when not its own (a window never painted)
    kiosk_status: int | None = None
    #: what the kiosk's after-first-paint work returned (the fake kiosk runs it at once)
    after_paint: list[ServiceInfo | None] = field(default_factory=list)
    client_error: TapError | None = None
    tapper_readers: list[str | None] = field(default_factory=list)
    tapper_deliveries: list[list[str]] = field(default_factory=list)
    waited: list[tuple[str | None, float | None]] = field(default_factory=list)

    def backends(self) -> Backends:
        def make_tapper(settings: Settings, home: Path, reader: str | None) -> FakeTapper:
            self.tapper_readers.append(reader)
            self.tapper_deliveries.append(list(settings.delivery))
            return self.tapper

        def wait(reader: str | None, timeout_s: float | None) -> str:
            self.waited.append((reader, timeout_s))
            if self.wait_error:
                raise self.wait_error
            return reader or "Reader 0"

        def enroll(url: str, code: str, timeout_s: float
                   ) -> tuple[str, Ed25519PrivateKey, TerminalInfo]:
            if self.enroll_error:
                raise self.enroll_error
            info = TerminalInfo(terminal_id="term-new", name="desk 1", service=SERVICE,
                                server_time=NOW)
            return "term-new", Ed25519PrivateKey.generate(), info

        def run_kiosk(config: KioskConfig) -> int:
            """As app.ui.kiosk.run_kiosk does, minus the window: the first paint, then the
            start-up work, then the demo tap."""
            self.kiosk_calls.append(config)
            if self.kiosk_status is not None:
                return self.kiosk_status
            if config.on_idle_painted:
                config.on_idle_painted(time.perf_counter())
            if config.exit_after_idle_painted:
                return 0
            work = config.after_first_paint
            for step in [work] if callable(work) else work or []:  # in order, as KioskStartup
                try:
                    self.after_paint.append(step())
                except TapError as e:
                    return EXIT_STATUS[e.kind]
            if config.demo_pin:
                config.tapper.probe()
                config.tapper.authenticate(config.demo_pin, allow_last_try=False)
            return 0

        def make_client(settings: Settings, home: Path) -> FakeClient:
            if self.client_error:
                raise self.client_error
            return self.client

        kiosk = KioskBackends(
            make_tapper=make_tapper,
            make_client=make_client,
            monitor_factory=lambda settings: lambda on_insert, on_remove: None,  # type: ignore[arg-type,return-value]
            run_kiosk=run_kiosk,
        )

        def compose_kiosk(settings: Settings, flags: KioskFlags) -> int:
            """As app.__main__.compose_kiosk does, with these fakes."""
            return start_kiosk(settings, flags, kiosk)

        return Backends(
            make_tapper=make_tapper,
            make_client=make_client,
            wait_for_card=wait,
            list_readers=lambda: self.readers,
            enroll=enroll,
            key_store=lambda settings, home: TerminalKeyStore("file", home),
            # the platform's clock is now (NOW is the collection's time, minutes ago in CI)
            fetch_health=lambda url, timeout: HealthResponse(
                server_time=dt.datetime.now(dt.UTC), version="t"
            ),
            compose_kiosk=compose_kiosk,
        )


def enrolled_home(tmp_path: Path, **changes: Any) -> Path:
    settings = Settings(terminal_id="term-1", secrets_backend="file", demo_mode=True,
                        service=SERVICE)
    for key, value in changes.items():
        setattr(settings, key, value)
    save_settings(tmp_path, settings)
    TerminalKeyStore("file", tmp_path).store("term-1", Ed25519PrivateKey.generate())
    return tmp_path


def run(home: Path, fakes: Fakes, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], input=stdin,
                              obj=fakes.backends())


# --- lookup ------------------------------------------------------------------------------


def test_lookup_json(tmp_path: Path) -> None:
    fakes = Fakes()
    result = run(enrolled_home(tmp_path), fakes, "lookup", "--pin-stdin", "--json",
                 stdin="1234\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "service": "demo-library", "service_id": "0012345678", "valid": True,
        "address_changed": True, "certificate_expires_soon": False}
    assert "1234" not in result.stderr
    assert "3" in result.stderr  # tries left
    assert fakes.tapper.pins == [("1234", False)]


def test_lookup_readable_line(tmp_path: Path) -> None:
    result = run(enrolled_home(tmp_path), Fakes(), "lookup", "--pin-stdin", stdin="1234\n")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "demo-library: 0012345678 (有効; 住所変更あり / valid; address changed)")


def test_lookup_prompts_without_echo(tmp_path: Path) -> None:
    fakes = Fakes()
    result = run(enrolled_home(tmp_path), fakes, "lookup", stdin="4321\n")
    assert result.exit_code == 0, result.output
    assert fakes.tapper.pins == [("4321", False)]
    assert "4321" not in result.output


def test_lookup_uses_the_reader_option_then_the_settings(tmp_path: Path) -> None:
    fakes = Fakes()
    home = enrolled_home(tmp_path, reader="Configured")
    run(home, fakes, "lookup", "--pin-stdin", "--wait-s", "5", stdin="1234\n")
    run(home, fakes, "lookup", "--pin-stdin", "--reader", "Other", stdin="1234\n")
    assert fakes.waited == [("Configured", 5.0), ("Other", 30.0)]
    assert fakes.tapper_readers == ["Configured", "Other"]


def test_headless_lookup_asks_for_no_label(tmp_path: Path) -> None:
    """A label terminal's `lookup` prints nothing: the platform must not count a label."""
    fakes = Fakes()
    home = enrolled_home(tmp_path)
    toml = (home / "counter.toml").read_text(encoding="utf-8")
    (home / "counter.toml").write_text(
        'delivery = ["show", "label"]\n' + toml + '\n[label]\nprinter = "recording"\n',
        encoding="utf-8")
    result = run(home, fakes, "lookup", "--pin-stdin", stdin="1234\n")
    assert result.exit_code == 0, result.output
    assert fakes.tapper_deliveries == [["show"]]


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_lookup_exit_status_per_error(tmp_path: Path, kind: ErrorKind) -> None:
    fakes = Fakes(tapper=FakeTapper(error=TapError(kind, "because", tries_left=2)))
    result = run(enrolled_home(tmp_path), fakes, "lookup", "--pin-stdin", stdin="1234\n")
    assert result.exit_code == EXIT_STATUS[kind]
    (line,) = result.stderr.strip().splitlines()[-1:]
    english = Catalogue("en").tr(MESSAGES[kind])
    assert line.startswith("error: ") and english.split(" (")[0] in line
    assert "because" in line
    assert result.stdout == ""


def test_lookup_refuses_the_last_try(tmp_path: Path) -> None:
    fakes = Fakes(tapper=FakeTapper(tries_left=1))
    result = run(enrolled_home(tmp_path), fakes, "lookup", "--pin-stdin", stdin="1234\n")
    assert result.exit_code == EXIT_STATUS[ErrorKind.LAST_TRY_REFUSED] == 22
    assert fakes.tapper.pins == []  # nothing sent to the card


def test_lookup_allows_the_last_try_when_asked(tmp_path: Path) -> None:
    fakes = Fakes(tapper=FakeTapper(tries_left=1))
    result = run(enrolled_home(tmp_path), fakes, "lookup", "--pin-stdin", "--allow-last-try",
                 stdin="1234\n")
    assert result.exit_code == 0
    assert fakes.tapper.pins == [("1234", True)]


def test_lookup_on_a_blocked_card_asks_no_pin(tmp_path: Path) -> None:
    fakes = Fakes(tapper=FakeTapper(tries_left=0))
    result = run(enrolled_home(tmp_path), fakes, "lookup", "--pin-stdin", "--allow-last-try",
                 stdin="1234\n")
    assert result.exit_code == EXIT_STATUS[ErrorKind.PIN_BLOCKED]
    assert fakes.tapper.pins == []


def test_lookup_probe_errors(tmp_path: Path) -> None:
    fakes = Fakes(tapper=FakeTapper(probe_error=TapError(ErrorKind.NOT_JPKI_CARD)))
    result = run(enrolled_home(tmp_path), fakes, "lookup", "--pin-stdin", stdin="1234\n")
    assert result.exit_code == EXIT_STATUS[ErrorKind.NOT_JPKI_CARD]


@pytest.mark.parametrize("pin", ["123", "12345", "abcd", ""])
def test_lookup_bad_pin_is_a_usage_error(tmp_path: Path, pin: str) -> None:
    fakes = Fakes()
    result = run(enrolled_home(tmp_path), fakes, "lookup", "--pin-stdin", stdin=pin + "\n")
    assert result.exit_code == 1
    assert fakes.tapper.pins == []


@pytest.mark.parametrize(
    ("error", "kind"),
    [(TimeoutError(), ErrorKind.CARD_REMOVED), (NoReader("pcscd down"), ErrorKind.NO_READER)],
)
def test_lookup_waiting_for_a_card(tmp_path: Path, error: Exception, kind: ErrorKind) -> None:
    result = run(enrolled_home(tmp_path), Fakes(wait_error=error), "lookup", "--pin-stdin",
                 stdin="1234\n")
    assert result.exit_code == EXIT_STATUS[kind]


def test_lookup_not_enrolled(tmp_path: Path) -> None:
    result = run(tmp_path, Fakes(), "lookup", "--pin-stdin", stdin="1234\n")
    assert result.exit_code == EXIT_STATUS[ErrorKind.NOT_ENROLLED] == 41
    assert "enroll" in result.stderr


def test_bad_settings_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "counter.toml").write_text("colour = 1\n", encoding="utf-8")
    result = run(tmp_path, Fakes(), "lookup", "--pin-stdin", stdin="1234\n")
    assert result.exit_code == 1
    assert "colour" in result.stderr


def test_error_lines_are_bilingual() -> None:
    for kind in ErrorKind:
        en, ja = Catalogue("en").tr(MESSAGES[kind]), Catalogue("ja").tr(MESSAGES[kind])
        assert en and ja and en != ja
    line = error_line(TapError(ErrorKind.WRONG_PIN, tries_left=2), "ja")
    assert line.startswith("error: 暗証番号が違います(残り2回) / wrong PIN, 2 tries left")
    assert error_line(TapError(ErrorKind.NO_READER), "en").startswith("error: no card reader")


# --- enroll ------------------------------------------------------------------------------


def test_enroll_stores_key_settings_and_service(tmp_path: Path) -> None:
    save_settings(tmp_path, Settings(secrets_backend="file", demo_mode=True, language="en"))
    result = run(tmp_path, Fakes(), "enroll", "--server", "https://mykey.example.jp/",
                 "--code", "ABCD-1234")
    assert result.exit_code == 0, result.output
    assert "term-new" in result.stdout and "デモ市立図書館" in result.stdout
    assert "デモ市" in result.stdout
    settings = load_settings(tmp_path)
    assert settings.terminal_id == "term-new"
    assert settings.server_url == "https://mykey.example.jp"
    assert settings.language == "en"  # kept
    assert settings.service == SERVICE
    TerminalKeyStore("file", tmp_path).load("term-new")


def test_enroll_again_forgets_the_old_key(tmp_path: Path) -> None:
    home = enrolled_home(tmp_path)
    assert run(home, Fakes(), "enroll", "--server", "https://x", "--code", "ABCD").exit_code == 0
    from app.secrets import TerminalKeyMissing

    with pytest.raises(TerminalKeyMissing):
        TerminalKeyStore("file", home).load("term-1")


def test_enroll_failure(tmp_path: Path) -> None:
    fakes = Fakes(enroll_error=TapError(ErrorKind.PLATFORM_UNREACHABLE, "refused"))
    result = run(tmp_path, fakes, "enroll", "--server", "https://x", "--code", "ABCD")
    assert result.exit_code == EXIT_STATUS[ErrorKind.PLATFORM_UNREACHABLE]
    assert load_settings(tmp_path).terminal_id is None


def test_enroll_checks_the_keyring_before_spending_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    save_settings(tmp_path, Settings(secrets_backend="system"))
    fakes = Fakes(enroll_error=TapError(ErrorKind.PLATFORM_ERROR, "must not be called"))
    backends = fakes.backends()
    backends.key_store = lambda settings, home: TerminalKeyStore(settings.secrets_backend, home)
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "enroll", "--server", "https://x",
                                      "--code", "ABCD"], obj=backends)
    assert result.exit_code == 1
    assert "No OS keyring service is running" in result.stderr
    assert "must not be called" not in result.stderr


def test_enroll_needs_an_http_url(tmp_path: Path) -> None:
    result = run(tmp_path, Fakes(), "enroll", "--server", "mykey.example.jp", "--code", "ABCD")
    assert result.exit_code == 1


# --- barcode -----------------------------------------------------------------------------


def test_barcode_writes_what_the_screen_shows(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "code.png"
    result = run(tmp_path, Fakes(), "barcode", "1234567890", "--symbology", "nw7",
                 "--check-digit", "mod16", "--nw7-start", "B", "--nw7-stop", "C",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        (decoded,) = zxingcpp.read_barcodes(image)
    spec = BarcodeSpec(
        symbology=Symbology.NW7, check_digit=CheckDigit.MOD16, nw7_start="B", nw7_stop="C"
    )
    assert decoded.text == encode_nw7("1234567890", spec)
    with Image.open(out) as image:
        assert image.tobytes() == render_barcode("1234567890", spec).tobytes()


@pytest.mark.parametrize("symbology", ["code39", "code128", "qr"])
def test_barcode_other_symbologies(tmp_path: Path, symbology: str) -> None:
    out = tmp_path / "code.png"
    result = run(tmp_path, Fakes(), "barcode", "LIB-0123", "--symbology", symbology,
                 "--out", str(out), "--text")
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert [r.text for r in zxingcpp.read_barcodes(image)] == ["LIB-0123"]


def test_barcode_defaults_to_the_enrolled_service(tmp_path: Path) -> None:
    out = tmp_path / "code.png"
    result = run(enrolled_home(tmp_path), Fakes(), "barcode", "0012345678", "--out", str(out))
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        (decoded,) = zxingcpp.read_barcodes(image)
    assert decoded.format == zxingcpp.BarcodeFormat.Codabar
    assert decoded.text.startswith("A0012345678") and len(decoded.text) == 13  # + mod16


def test_barcode_without_symbology_or_service(tmp_path: Path) -> None:
    result = run(tmp_path, Fakes(), "barcode", "1", "--out", str(tmp_path / "x.png"))
    assert result.exit_code == 1
    assert "--symbology" in result.stderr


def test_barcode_refuses_an_unencodable_value(tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    result = run(tmp_path, Fakes(), "barcode", "12AB", "--symbology", "nw7", "--out", str(out))
    assert result.exit_code == 1
    assert "nw7" in result.stderr
    assert not out.exists()


# --- kiosk -------------------------------------------------------------------------------


def test_kiosk_gets_settings_service_and_tapper(tmp_path: Path) -> None:
    fakes = Fakes()
    shot = tmp_path / "shot.png"
    result = run(enrolled_home(tmp_path), fakes, "--screenshot", str(shot))
    assert result.exit_code == 0, result.output
    (call,) = fakes.kiosk_calls
    assert call.settings.terminal_id == "term-1"
    assert call.service is None  # validated after the first paint …
    assert call.service_name == SERVICE.display_name  # … painted from its name
    assert fakes.after_paint == [SERVICE, SERVICE]  # the cache, then the refresh
    assert call.demo_pin is None
    assert call.screenshot_path == shot
    assert call.home == tmp_path  # the settings screen saves to this home
    assert call.exit_after_result is False
    assert callable(call.monitor_factory)
    assert fakes.client.closed
    assert result.stdout == ""


def test_kiosk_demo_pin_and_once_print_the_result(tmp_path: Path) -> None:
    fakes = Fakes()
    result = run(enrolled_home(tmp_path), fakes, "--demo-pin-stdin", "--once", stdin="1234\n")
    assert result.exit_code == 0, result.output
    (call,) = fakes.kiosk_calls
    assert call.demo_pin == "1234" and call.exit_after_result is True
    assert json.loads(result.stdout.splitlines()[-1])["service_id"] == "0012345678"


def test_kiosk_shows_the_cache_then_refreshes_it_after_the_first_paint(tmp_path: Path) -> None:
    changed = SERVICE.model_copy(update={"display_name": "新図書館"})
    fakes = Fakes(client=FakeClient(service=changed))
    home = enrolled_home(tmp_path)
    assert run(home, fakes).exit_code == 0
    call = fakes.kiosk_calls[0]
    assert call.service_name == SERVICE.display_name  # painted at once, from the cache
    assert fakes.after_paint == [SERVICE, changed]  # the cache first, then the platform's
    assert load_settings(home).service == changed


def test_kiosk_refresh_without_change_keeps_the_cache(tmp_path: Path) -> None:
    fakes = Fakes()
    home = enrolled_home(tmp_path)
    before = (home / "service.json").stat().st_mtime_ns
    assert run(home, fakes).exit_code == 0
    assert fakes.after_paint == [SERVICE, SERVICE]  # validated cache, then the refresh
    assert (home / "service.json").stat().st_mtime_ns == before  # not rewritten
    assert fakes.client.closed


def test_kiosk_offline_uses_the_cache(tmp_path: Path) -> None:
    fakes = Fakes(client=FakeClient(error=TapError(ErrorKind.PLATFORM_UNREACHABLE)))
    result = run(enrolled_home(tmp_path), fakes)
    assert result.exit_code == 0
    assert fakes.kiosk_calls[0].service_name == SERVICE.display_name
    assert fakes.after_paint == [SERVICE, SERVICE]  # the refresh falls back to the cache
    assert "cached service description" in result.stderr


def test_kiosk_with_an_invalid_cache_says_enroll_again_after_the_paint(tmp_path: Path) -> None:
    home = enrolled_home(tmp_path)
    data = json.loads((home / "service.json").read_text(encoding="utf-8"))
    data["barcode"] = {"symbology": "ean13"}  # a name to paint, but not a ServiceInfo
    (home / "service.json").write_text(json.dumps(data), encoding="utf-8")
    fakes = Fakes()
    result = run(home, fakes)
    assert fakes.kiosk_calls[0].service_name == SERVICE.display_name
    assert result.exit_code == EXIT_STATUS[ErrorKind.NOT_ENROLLED]
    assert "unreadable service cache" in result.stderr and "enroll" in result.stderr
    assert fakes.tapper_readers == []  # nothing more started


@pytest.mark.parametrize("text", ["{not json", "[]", '{"name": "lib"}'])
def test_kiosk_with_an_unreadable_cache_says_enroll_again_before_the_window(
    tmp_path: Path, text: str
) -> None:
    home = enrolled_home(tmp_path)
    (home / "service.json").write_text(text, encoding="utf-8")
    fakes = Fakes()
    result = run(home, fakes)
    assert result.exit_code == 1
    assert "unreadable service cache" in result.stderr and "enroll" in result.stderr
    assert fakes.kiosk_calls == []


def test_kiosk_without_a_cache_asks_the_platform_before_the_window(tmp_path: Path) -> None:
    home = enrolled_home(tmp_path)
    (home / "service.json").unlink()
    fakes = Fakes()
    assert run(home, fakes).exit_code == 0
    call = fakes.kiosk_calls[0]
    assert call.service == SERVICE and call.service_name == SERVICE.display_name
    assert fakes.after_paint == [SERVICE]  # no second refresh after the paint


def test_kiosk_without_a_cache_or_platform(tmp_path: Path) -> None:
    home = enrolled_home(tmp_path)
    (home / "service.json").unlink()
    fakes = Fakes(client=FakeClient(error=TapError(ErrorKind.PLATFORM_UNREACHABLE)))
    result = run(home, fakes)
    assert result.exit_code == EXIT_STATUS[ErrorKind.PLATFORM_UNREACHABLE]
    assert fakes.kiosk_calls == []


def test_kiosk_builds_the_tapper_after_the_first_paint(tmp_path: Path) -> None:
    fakes = Fakes()
    assert run(enrolled_home(tmp_path), fakes).exit_code == 0
    assert fakes.tapper_readers == [None]  # built once, by the start-up work
    assert fakes.kiosk_calls[0].tapper.probe() == CardStatus(3)
    assert fakes.tapper_readers == [None]


def test_kiosk_without_a_key_ends_as_not_enrolled(tmp_path: Path) -> None:
    fakes = Fakes(client_error=TapError(ErrorKind.NOT_ENROLLED, "no key for terminal"))
    result = run(enrolled_home(tmp_path), fakes)
    assert result.exit_code == EXIT_STATUS[ErrorKind.NOT_ENROLLED]
    assert "no key for terminal" in result.stderr


def test_kiosk_not_enrolled(tmp_path: Path) -> None:
    fakes = Fakes()
    result = run(tmp_path, fakes)
    assert result.exit_code == EXIT_STATUS[ErrorKind.NOT_ENROLLED]
    assert fakes.kiosk_calls == []


def test_kiosk_bad_demo_pin(tmp_path: Path) -> None:
    result = run(enrolled_home(tmp_path), Fakes(), "--demo-pin-stdin", stdin="12\n")
    assert result.exit_code == 1


# --- the startup check -------------------------------------------------------------------


def test_startup_check_before_enrollment(tmp_path: Path) -> None:
    fakes = Fakes()
    result = run(tmp_path, fakes, "--startup-check")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"idle_painted_s", "process_age_s", "peak_rss_kib", "enrolled"}
    assert report["enrolled"] is False
    assert isinstance(report["idle_painted_s"], float)
    (call,) = fakes.kiosk_calls
    assert call.service is None and call.service_name is None
    assert call.exit_after_idle_painted is True
    assert call.after_first_paint is None
    with pytest.raises(TapError) as caught:  # a tap would say so
        call.tapper.probe()
    assert caught.value.kind is ErrorKind.NOT_ENROLLED


def test_startup_check_of_an_enrolled_counter_touches_no_key(tmp_path: Path) -> None:
    fakes = Fakes(client_error=TapError(ErrorKind.NOT_ENROLLED, "must not be asked"))
    result = run(enrolled_home(tmp_path), fakes, "--startup-check")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["enrolled"] is True
    call = fakes.kiosk_calls[0]
    assert call.service is None and call.service_name == SERVICE.display_name
    assert fakes.after_paint == [] and fakes.tapper_readers == []


def test_startup_check_goes_alone(tmp_path: Path) -> None:
    result = run(tmp_path, Fakes(), "--startup-check", "--once")
    assert result.exit_code == 1
    assert "--startup-check" in result.stderr


def test_startup_check_reports_a_window_never_painted(tmp_path: Path) -> None:
    result = run(tmp_path, Fakes(kiosk_status=1), "--startup-check")
    assert result.exit_code == 1
    assert "did not paint" in result.stderr


def test_process_age_counts_from_the_process_start() -> None:
    age = process_age_s()
    assert age is not None and 0 < age < 24 * 3600


# --- doctor ------------------------------------------------------------------------------


def test_doctor_passes_on_a_ready_counter(tmp_path: Path) -> None:
    result = run(enrolled_home(tmp_path), Fakes(), "doctor")
    lines = result.stdout.splitlines()
    assert any(line.startswith("OK") and "readers" in line for line in lines)
    assert any("signed request" in line and line.startswith("OK") for line in lines)
    if any(line.startswith("FAIL") for line in lines):  # only pcscd may be missing here
        assert all("pcscd" in line for line in lines if line.startswith("FAIL"))
        assert result.exit_code == 1
    else:
        assert result.exit_code == 0


def test_doctor_fails_when_not_enrolled(tmp_path: Path) -> None:
    result = run(tmp_path, Fakes(), "doctor")
    assert result.exit_code == 1
    assert any(line.startswith("FAIL") and "enrollment" in line
               for line in result.stdout.splitlines())


# --- the composition root ----------------------------------------------------------------


def test_real_backends_build_without_hardware_or_qt() -> None:
    """``mykey-counter doctor --help`` runs the group with the real backends (no command
    body): neither Qt nor pyscard loads."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['mykey-counter', 'doctor', '--help']\n"
        "try:\n"
        "    runpy.run_module('app', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'smartcard'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[3])


def test_the_kiosk_path_imports_no_heavy_library() -> None:
    """Importing the composition root and the kiosk loads neither the wire schema (pydantic)
    nor the client, keyring, barcode or card libraries: they load after the first paint."""
    code = (
        "import runpy, sys\n"
        "runpy.run_module('app')  # the composition root's module, without running main()\n"
        "import app.ui.kiosk\n"
        "heavy = ('pydantic', 'httpx', 'http_message_signatures', 'keyring', 'PIL', 'barcode',"
        " 'segno', 'smartcard', 'cryptography', 'platformdirs', 'tomli_w', 'server',"
        " 'app.client', 'app.secrets', 'app.doctor', 'app.barcodes', 'app.tap')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[3])


def test_spelt_out_constants_agree_with_the_wire_schema() -> None:
    assert SYMBOLOGIES == tuple(s.value for s in Symbology)
    assert CHECK_DIGITS == tuple(c.value for c in CheckDigit)
    assert DEFAULT_SERVER_URL == f"http://127.0.0.1:{DEFAULT_PORT}"


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--help"], obj=Fakes().backends())
    for command in ("enroll", "lookup", "barcode", "doctor"):
        assert command in result.output

